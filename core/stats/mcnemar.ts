import { binomialCdf } from './distributions.ts';
import { assertCount } from './types.ts';

/**
 * Exact McNemar test (McNemar 1947; exact binomial form as in Fagerland, Lydersen & Laake 2013):
 * b = pairs A right / B wrong, c = A wrong / B right. Under H0 the discordant pairs split as Bin(b + c, ½), so
 * p = min(1, 2 · P(X ≤ min(b, c))). No discordant pairs → p = 1 (the models never disagree: no evidence).
 */
export function mcnemarExact(b: number, c: number): number {
  assertCount('b', b);
  assertCount('c', c);
  const n = b + c;
  if (n === 0) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(b, c), n, 0.5));
}
