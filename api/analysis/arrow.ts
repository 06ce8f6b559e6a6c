import { tableFromArrays, tableToIPC } from 'apache-arrow';
import type { AnalysisResponse } from './service.ts';

const METRICS = [
  'n',
  'n_items',
  'n_samples',
  'correct',
  'unscored',
  'errors',
  'accuracy',
  'stderr',
  'mean_score',
  'mean_score_stderr',
  'latency_ms_p50',
  'latency_ms_p95',
  'tokens_in',
  'tokens_out',
  'cost_usd',
] as const;

/**
 * The rows as an Arrow IPC stream: one column per level (named after the field; `level_<name>`
 * if that collides with a metric), then the metrics, ci95 as two columns, and pass@k/maj@k columns.
 */
export function toArrowIpc(res: AnalysisResponse): Uint8Array {
  const taken = new Set<string>(['model', ...METRICS, 'ci95_low', 'ci95_high']);
  const cols: Record<string, unknown[]> = { model: res.rows.map((r) => r.model) };
  for (const level of res.levels) {
    const name = taken.has(level) ? `level_${level}` : level;
    taken.add(name);
    const values = res.rows.map((r) => r.groups[level] ?? null);
    cols[name] = values.every((v) => v === null || typeof v === 'number')
      ? values
      : values.map((v) => (v === null ? null : String(v)));
  }
  for (const m of METRICS) cols[m] = res.rows.map((r) => r[m] ?? null);
  cols.ci95_low = res.rows.map((r) => r.ci95?.[0] ?? null);
  cols.ci95_high = res.rows.map((r) => r.ci95?.[1] ?? null);
  const extra = new Set<string>();
  for (const r of res.rows) for (const k of Object.keys(r)) if (/^(pass|maj)@\d+$/.test(k)) extra.add(k);
  for (const k of [...extra].sort()) {
    cols[k] = res.rows.map(
      (r) => (r as unknown as Record<string, { value: number | null }>)[k]?.value ?? null,
    );
    cols[`${k}_stderr`] = res.rows.map(
      (r) => (r as unknown as Record<string, { stderr: number | null }>)[k]?.stderr ?? null,
    );
  }
  const arrays: Record<string, Float64Array | string[] | (string | null)[] | (number | null)[]> = {};
  for (const [k, v] of Object.entries(cols)) {
    arrays[k] = v.every((x) => typeof x === 'number')
      ? Float64Array.from(v as number[])
      : (v as (string | null)[]);
  }
  return tableToIPC(tableFromArrays(arrays as never) as never, 'stream');
}
