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
 * `now`, through `record.deleteRun` so the mirror follows, then writes one `retention.delete` entry
 * naming them in `audit` (the workspace database's log). Nothing when retention is off (null). A run
 * still running is kept for a later pass. The entry is written after the deletions, each its own
 * transaction: should one fail, the entry lists those done before it, and the error is thrown.
 */
export async function applyRetention(
  record: RecordStore,
  audit: AuditLog,
  workspace: Pick<Workspace, 'id' | 'slug' | 'retentionDays'>,
  now: Date = new Date(),
): Promise<RetentionResult> {
  const out: RetentionResult = { deleted: [], skipped: [] };
  if (workspace.retentionDays === null) return out;
  const cutoff = now.getTime() - workspace.retentionDays * DAY_MS;
  const old = (await record.listRuns()).filter((r) => Date.parse(r.createdAt) < cutoff);
  let failure: unknown = null;
  for (const run of old) {
    if (looksLive(run, now.getTime())) {
      out.skipped.push(run.id);
      continue;
    }
    try {
      await record.deleteRun(run.id);
    } catch (err) {
      failure = err;
      break;
    }
    out.deleted.push({
      id: run.id,
      benchmark: run.benchmark,
      model: run.model,
      label: run.label,
      createdAt: run.createdAt,
    });
  }
  if (out.deleted.length > 0) {
    await audit.append({
      action: 'retention.delete',
      resource: `workspace:${workspace.slug}`,
      workspaceId: workspace.id,
      actor: { userId: null, email: null, role: null, keyId: null },
      before: {
        retentionDays: workspace.retentionDays,
        cutoff: new Date(cutoff).toISOString(),
        runs: out.deleted.map(({ id, benchmark, model, label }) => ({ id, benchmark, model, label })),
      },
      after: null,
      requestId: null,
      address: null,
    });
  }
  if (failure !== null) throw failure;
  return out;
}
