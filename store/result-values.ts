/**
 * How a result's optional numbers are stored, by both stores alike: a finite number as given, anything
 * else (missing, NaN, ±Infinity) as NULL; token counts rounded to integers, latencies to the microsecond.
 */
export const finiteOrNull = (v: number | null | undefined): number | null =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

export const roundedOrNull = (v: number | null | undefined): number | null => {
  const n = finiteOrNull(v);
  return n === null ? null : Math.round(n);
};

/** Larger latencies (ms, ≈ 31 years) are not durations anything measured; they are stored as NULL. */
export const MAX_LATENCY_MS = 1e12;

/**
 * Latencies (ms) to whole microseconds: finer digits are clock noise, and the analysis computes latency
 * quantiles over integer microseconds (api/analysis/compile.ts), which must be the stored values exactly.
 * Beyond ±MAX_LATENCY_MS, like NaN and ±Infinity, NULL (those microseconds would not fit a BIGINT).
 */
export const microsecondsOrNull = (v: number | null | undefined): number | null => {
  const n = finiteOrNull(v);
  return n === null || Math.abs(n) > MAX_LATENCY_MS ? null : Math.round(n * 1000) / 1000;
};

/** Token counts are stored as 32-bit integers (INT / INTEGER); a larger count is refused at the import gate. */
export const MAX_TOKENS = 2_147_483_647;

/** Why a record's token counts cannot be stored, as {field, message}, or null. */
export function tokensProblem(r: {
  tokens_in?: number | null | undefined;
  tokens_out?: number | null | undefined;
}): { field: string; message: string } | null {
  for (const field of ['tokens_in', 'tokens_out'] as const) {
    const v = r[field];
    if (typeof v === 'number' && Number.isFinite(v) && Math.abs(Math.round(v)) > MAX_TOKENS)
      return { field, message: `must be at most ${MAX_TOKENS} (got ${v})` };
  }
  return null;
}
