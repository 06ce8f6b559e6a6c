import { describe, expect, it } from 'vitest';
import { pairedTTest } from './paired.ts';
import { expectRel, lnGammaExact, simpson } from './testing/exact.ts';

// Cushny & Peebles sleep data as used by Student (1908) and R's `sleep`:
// t.test(extra ~ group, data = sleep, paired = TRUE) → t = −4.0621, df = 9, p = 0.002833,
// 95 % CI −2.4598858 … −0.7001142, mean difference −1.58.
const g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

/** Two-sided p by integrating the t density (exact normalizing constant for integer df). */
function pByIntegration(t: number, df: number): number {
  const lnC = lnGammaExact((df + 1) / 2) - lnGammaExact(df / 2) - 0.5 * Math.log(df * Math.PI);
  const f = (x: number) => Math.exp(lnC - ((df + 1) / 2) * Math.log1p((x * x) / df));
  return 1 - 2 * simpson(f, 0, Math.abs(t), 200_000);
}

describe('pairedTTest', () => {
  it('reproduces the published sleep-data result', () => {
    const r = pairedTTest(g1, g2);
    if (!r.testable) throw new Error(r.reason);
    expect(r.df).toBe(9);
    expectRel(r.meanDiff, -1.58, 1e-12);
    expect(r.t).toBeCloseTo(-4.0621, 4);
    expect(r.pValue).toBeCloseTo(0.002833, 6);
    expect(r.ci[0]).toBeCloseTo(-2.4598858, 7);
    expect(r.ci[1]).toBeCloseTo(-0.7001142, 7);
    expectRel(r.pValue, pByIntegration(r.t, 9), 1e-8);
  });

  it('p matches numerical integration on other data', () => {
    const x = [0.61, 0.72, 0.55, 0.8, 0.77, 0.69, 0.58, 0.91, 0.64, 0.7, 0.66, 0.73];
    const y = [0.6, 0.7, 0.57, 0.74, 0.75, 0.7, 0.5, 0.88, 0.66, 0.62, 0.65, 0.7];
    const r = pairedTTest(x, y);
    if (!r.testable) throw new Error(r.reason);
    const d = x.map((v, i) => v - y[i]!);
    const m = d.reduce((a, b) => a + b) / d.length;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (d.length - 1));
    expectRel(r.t, m / (sd / Math.sqrt(d.length)), 1e-12);
    expectRel(r.pValue, pByIntegration(r.t, 11), 1e-8);
  });

  it('edge cases', () => {
    expect(pairedTTest([], [])).toMatchObject({ testable: false });
    expect(pairedTTest([1], [2])).toMatchObject({ testable: false });
    expect(pairedTTest([1, null, 3], [2, 5, Number.NaN])).toMatchObject({ testable: false });
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toMatchObject({ testable: true, t: 0, pValue: 1, ci: [0, 0] });
    expect(pairedTTest([2, 3, 4], [1, 2, 3])).toMatchObject({ testable: false });
    expect(() => pairedTTest([1], [1, 2])).toThrow(RangeError);
  });
});
