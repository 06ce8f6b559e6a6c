import type { Kysely } from 'kysely';
import type { RunInfo, RunStatus } from '../core/store.ts';
import type { StoreTables } from './schema.ts';

/** Runs with their benchmark and model names; the same query on both engines. */
const runSelect = (k: Kysely<StoreTables>) =>
  k
    .selectFrom('runs as r')
    .innerJoin('benchmarks as b', 'b.id', 'r.benchmark_id')
    .innerJoin('models as m', 'm.id', 'r.model_id')
    .select([
      'r.id',
      'b.slug as benchmark',
      'm.name as model',
      'r.label',
      'r.source',
      'r.status',
      'r.status_reason',
      'r.config',
      'r.summary',
      'r.created_at',
      'r.updated_at',
      'r.prompt_name',
      'r.prompt_version',
      'r.prompt_label',
    ])
    .orderBy('r.id');

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

function toRunInfo(r: Record<string, unknown>): RunInfo {
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
    prompt:
      r.prompt_name === null || r.prompt_name === undefined
        ? null
        : {
            name: String(r.prompt_name),
            version: Number(r.prompt_version),
            label: (r.prompt_label as string | null) ?? null,
          },
  };
}

export async function listRuns(k: Kysely<StoreTables>): Promise<RunInfo[]> {
  return (await runSelect(k).execute()).map(toRunInfo);
}

export async function getRun(k: Kysely<StoreTables>, id: number): Promise<RunInfo | null> {
  const row = await runSelect(k).where('r.id', '=', id).executeTakeFirst();
  return row ? toRunInfo(row) : null;
}

export async function findRun(
  k: Kysely<StoreTables>,
  benchmark: string,
  model: string,
  label: string,
): Promise<RunInfo | null> {
  const row = await runSelect(k)
    .where('b.slug', '=', benchmark)
    .where('m.name', '=', model)
    .where('r.label', '=', label)
    .executeTakeFirst();
  return row ? toRunInfo(row) : null;
}
