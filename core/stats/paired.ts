import { mean, sampleStandardDeviation } from 'simple-statistics';
import { studentTQuantile, studentTTwoSided } from './distributions.ts';
import { mcnemarExact } from './mcnemar.ts';
import { type Binary, toBit, type Untestable, untestable } from './types.ts';
import { Z95 } from './wilson.ts';

export type PairedBinaryResult = {
  testable: true;
  /** Items scored for both models (others are dropped pairwise). */
  n: number;
  accuracyA: number;
  accuracyB: number;
  /** accuracyA − accuracyB, which equals mean(d_i) with d_i = x_A,i − x_B,i. */
  diff: number;
  /** sd(d)/√n with the n−1 sd (Miller 2024 §4, paired differences). */
  stderr: number;
  ci: readonly [number, number];
  /** Discordant pairs: A right / B wrong, A wrong / B right. */
  b: number;
  c: number;
  /** Exact McNemar p-value. */
  pValue: number;
};

/**
 * Paired comparison of two models' 0/1 outcomes on the same items (index-aligned). Items unscored for either
 * model are dropped. CI: diff ± z·sd(d_i)/√n (Miller 2024 §4). With no discordant pairs sd(d) = 0, so the CI
 * collapses to [diff, diff] = [0, 0] and McNemar's p is 1.
 * Fewer than 2 common items → untestable.
 */
export function pairedBinary(
  a: readonly Binary[],
  b: readonly Binary[],
  z: number = Z95,
): PairedBinaryResult | Untestable {
  if (a.length !== b.length) throw new RangeError('a and b must be index-aligned (same length)');
  const d: number[] = [];
  let sa = 0;
  let sb = 0;
  let bc = 0;
  let cb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = toBit(a[i]);
    const y = toBit(b[i]);
    if (x === null || y === null) continue;
    sa += x;
    sb += y;
    if (x === 1 && y === 0) bc++;
    if (x === 0 && y === 1) cb++;
    d.push(x - y);
  }
  const n = d.length;
  if (n < 2) return untestable(`need at least 2 items scored for both models, have ${n}`);
  const diff = (bc - cb) / n;
  const stderr = sampleStandardDeviation(d) / Math.sqrt(n);
  return {
    testable: true,
    n,
    accuracyA: sa / n,
    accuracyB: sb / n,
    diff,
    stderr,
    ci: [diff - z * stderr, diff + z * stderr],
    b: bc,
    c: cb,
    pValue: mcnemarExact(bc, cb),
  };
}

export type PairedTResult = {
  testable: true;
  n: number;
  meanDiff: number;
  sdDiff: number;
  stderr: number;
  t: number;
  df: number;
  pValue: number;
  /** Two-sided t interval at `level`. */
  ci: readonly [number, number];
};

/**
 * Paired t-test for continuous scores (Student 1908): d_i = x_i − y_i, t = mean(d)/(sd(d)/√n), df = n − 1,
 * two-sided p from the t distribution (regularized incomplete beta). Pairs with a non-finite side are dropped.
 * n < 2 → untestable. sd(d) = 0: identical pairs give t = 0, p = 1; a constant non-zero shift is untestable
 * (t would be infinite).
 */
export function pairedTTest(
  x: readonly (number | null | undefined)[],
  y: readonly (number | null | undefined)[],
  level = 0.95,
): PairedTResult | Untestable {
  if (x.length !== y.length) throw new RangeError('x and y must be index-aligned (same length)');
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const d: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const u = x[i];
    const v = y[i];
    if (typeof u === 'number' && typeof v === 'number' && Number.isFinite(u) && Number.isFinite(v))
      d.push(u - v);
  }
  const n = d.length;
  if (n < 2) return untestable(`need at least 2 complete pairs, have ${n}`);
  const df = n - 1;
  const m = mean(d);
  const sd = sampleStandardDeviation(d);
  const stderr = sd / Math.sqrt(n);
  if (stderr === 0) {
    if (m !== 0)
      return untestable('every pair differs by the same non-zero amount; the t statistic is infinite');
    return { testable: true, n, meanDiff: 0, sdDiff: 0, stderr: 0, t: 0, df, pValue: 1, ci: [0, 0] };
  }
  const t = m / stderr;
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  return {
    testable: true,
    n,
    meanDiff: m,
    sdDiff: sd,
    stderr,
    t,
    df,
    pValue: studentTTwoSided(t, df),
    ci: [m - q * stderr, m + q * stderr],
  };
}
