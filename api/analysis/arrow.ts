import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { MEASURE_NAMES, type MeasureName, measure } from './measures.ts';
import type { AnalysisResponse } from './service.ts';

/**
 * The rows as an Arrow IPC stream: one column per level (named after the field; `level_<name>`
 * if that collides with a metric), then the selected measures (measures.ts) that are numbers, the intervals
 * as two columns each (<name>_low, <name>_high), and pass@k/maj@k columns (value, <k>_stderr).
 */
export function toArrowIpc(
  res: AnalysisResponse,
  selected: readonly MeasureName[] = MEASURE_NAMES,
): Uint8Array {
  const scalars = selected.filter((n) => ['count', 'number'].includes(measure(n).type));
  const intervals = selected.filter((n) => measure(n).type === 'interval');
  const taken = new Set<string>([
    'model',
    ...scalars,
    ...intervals.flatMap((n) => [`${n}_low`, `${n}_high`]),
  ]);
  const cols: Record<string, unknown[]> = { model: res.rows.map((r) => r.model) };
  for (const level of res.levels) {
    const name = taken.has(level) ? `level_${level}` : level;
    taken.add(name);
    const values = res.rows.map((r) => r.groups[level] ?? null);
    cols[name] = values.every((v) => v === null || typeof v === 'number')
      ? values
      : values.map((v) => (v === null ? null : String(v)));
  }
  for (const m of scalars) cols[m] = res.rows.map((r) => r[m] ?? null);
  for (const m of intervals) {
    cols[`${m}_low`] = res.rows.map((r) => (r[m] as [number, number] | null)?.[0] ?? null);
    cols[`${m}_high`] = res.rows.map((r) => (r[m] as [number, number] | null)?.[1] ?? null);
  }
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
