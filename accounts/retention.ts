import type { RecordStore } from '../core/store.ts';
import { looksLive } from '../ingest/runner/liveness.ts';
import type { AuditLog, Workspace } from './types.ts';

const DAY_MS = 86_400_000;

export interface RetentionResult {
  deleted: { id: number; benchmark: string; model: string; label: string; createdAt: string }[];
  /** Runs past retention left alone because their runner still works on them (a later pass takes them). */
  skipped: number[];
}

/**
 * Deletes the workspace's runs (their results with them) created more than `retention_days` before
 * `now`, through `record.deleteRun` so the mirror follows, each with its own `retention.delete` entry in
 * `audit` (the workspace database's log) written in the deleting transaction: a run whose entry cannot
 * be written is not deleted. Nothing when retention is off (null). A run still running is kept for a
 * later pass. Should a deletion fail, those done before it stay done (and audited), and the error is
 * thrown.
 */
export async function applyRetention(
  record: RecordStore,
  audit: AuditLog,
  workspace: Pick<Workspace, 'id' | 'slug' | 'retentionDays'>,
  now: Date = new Date(),
): Promise<RetentionResult> {
  const out: RetentionResult = { deleted: [], skipped: [] };
  if (workspace.retentionDays === null) return out;
  const days = workspace.retentionDays;
  const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
  const old = (await record.listRuns()).filter((r) => Date.parse(r.createdAt) < Date.parse(cutoff));
  for (const run of old) {
    if (looksLive(run, now.getTime())) {
      out.skipped.push(run.id);
      continue;
    }
    const { id, benchmark, model, label, createdAt } = run;
    await record.deleteRun(id, async (trx) => {
      await audit.append(
        {
          action: 'retention.delete',
          resource: `run:${id}`,
          workspaceId: workspace.id,
          actor: { userId: null, email: null, role: null, keyId: null },
          before: { id, benchmark, model, label, createdAt, retentionDays: days, cutoff },
          after: null,
          requestId: null,
          address: null,
        },
        trx,
      );
    });
    out.deleted.push({ id, benchmark, model, label, createdAt });
  }
  return out;
}
