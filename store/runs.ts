import type { RunInfo, RunStatus } from '../core/store.ts';
import type { Db } from './db.ts';

/** Runs with their benchmark and model names; same SQL on both engines. */
export const RUN_SELECT = `SELECT r.id, b.slug AS benchmark, m.name AS model, r.label, r.source, r.status,
  r.status_reason, r.config, r.summary, r.created_at, r.updated_at
  FROM runs r JOIN benchmarks b ON b.id = r.benchmark_id JOIN models m ON m.id = r.model_id`;

const json = (v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
};
/** An ISO 8601 UTC instant as both engines take a timestamp parameter: "YYYY-MM-DD HH:MM:SS.sss" (UTC). */
export const sqlTimestamp = (isoUtc: string | null | undefined): string | null =>
  isoUtc ? new Date(isoUtc).toISOString().replace('T', ' ').replace('Z', '') : null;

/** A stored timestamp as ISO 8601 UTC, from either engine (MySQL Date, DuckDB text). */
export const iso = (v: unknown): string => {
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  // DuckDB TIMESTAMP text is "YYYY-MM-DD HH:MM:SS.sss" in UTC
  return /^\d{4}-\d\d-\d\d \d/.test(s) ? `${s.replace(' ', 'T')}Z`.replace(/Z+$/, 'Z') : s;
};

export function toRunInfo(r: Record<string, unknown>): RunInfo {
  return {
    id: Number(r.id),
    benchmark: String(r.benchmark),
    model: String(r.model),
    label: String(r.label),
    source: String(r.source),
    status: String(r.status) as RunStatus,
    statusReason: (r.status_reason as string | null) ?? null,
    config: json(r.config),
    summary: json(r.summary),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function selectRuns(db: Db, where = '', params: unknown[] = []): Promise<RunInfo[]> {
  const rows = await db.all<Record<string, unknown>>(`${RUN_SELECT} ${where} ORDER BY r.id`, params);
  return rows.map(toRunInfo);
}

export async function getRun(db: Db, id: number): Promise<RunInfo | null> {
  return (await selectRuns(db, 'WHERE r.id = ?', [id]))[0] ?? null;
}

export async function findRun(
  db: Db,
  benchmark: string,
  model: string,
  label: string,
): Promise<RunInfo | null> {
  return (
    (await selectRuns(db, 'WHERE b.slug = ? AND m.name = ? AND r.label = ?', [benchmark, model, label]))[0] ??
    null
  );
}
