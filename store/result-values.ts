/**
 * How a result's optional numbers are stored, by both stores alike: a finite number as given, anything
 * else (missing, NaN, ±Infinity) as NULL; token counts rounded to integers.
 */
export const finiteOrNull = (v: number | null | undefined): number | null =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

export const roundedOrNull = (v: number | null | undefined): number | null => {
  const n = finiteOrNull(v);
  return n === null ? null : Math.round(n);
};
