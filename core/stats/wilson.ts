import { assertCount } from './types.ts';

/** z for a two-sided 95 % interval, Φ⁻¹(0.975) to 7 digits (the value the analysis API has always used). */
export const Z95 = 1.959964;

/**
 * Wilson score interval for a binomial proportion (Wilson 1927; Agresti & Coull 1998):
 * (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). Stays inside [0, 1] and is sensible at 0 or n
 * successes, unlike the Wald interval. n = 0 → null.
 */
export function wilson(successes: number, n: number, z: number = Z95): readonly [number, number] | null {
  assertCount('n', n);
  assertCount('successes', successes);
  if (successes > n) throw new RangeError(`successes (${successes}) exceed n (${n})`);
  if (n === 0) return null;
  return wilsonFromProportion(successes / n, n, z);
}

/**
 * The same interval from a proportion and an effective n: with several samples per item the
 * proportion is a mean of item means and n the number of items, so the count of successes need
 * not be an integer. n ≤ 0 → null.
 */
export function wilsonFromProportion(p: number, n: number, z: number = Z95): [number, number] | null {
  if (n <= 0) return null;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt(Math.max(0, (p * (1 - p)) / n + z2 / (4 * n * n)));
  // At a proportion of 0 (or 1) the bound is exactly 0 (or 1); clamp away the rounding.
  return [p <= 0 ? 0 : Math.max(0, center - half), p >= 1 ? 1 : Math.min(1, center + half)];
}
