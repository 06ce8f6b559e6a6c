import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  lnChoose,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
} from './distributions.ts';
import { bigChoose, bigRatio, exactBinomialCdf, expectRel, lnGammaExact, simpson } from './testing/exact.ts';

describe('normalCdf', () => {
  // Published values (Abramowitz & Stegun 26.2; R pnorm to 16 digits).
  const table: [number, number][] = [
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.959963984540054, 0.975],
    [2, 0.9772498680518208],
    [-3, 0.0013498980316300946],
    [-5, 2.866515718791939e-7],
    [-8, 6.220960574271785e-16],
  ];
  it.each(table)('Φ(%d) matches the published value', (x, p) => expectRel(normalCdf(x), p, 1e-9, 1e-15));

  it('matches Simpson integration of the density', () => {
    const phi = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
    for (const x of [-4, -1.5, -0.3, 0.7, 2.5]) {
      const integral = x < 0 ? 0.5 - simpson(phi, x, 0) : 0.5 + simpson(phi, 0, x);
      expectRel(normalCdf(x), integral, 1e-12, 1e-14);
    }
  });
});

describe('normalQuantile', () => {
  it.each([
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489004],
    [0.9, 1.2815515655446004],
    [0.05, -1.6448536269514722],
    [0.8, 0.8416212335729143],
    [1e-10, -6.361340902404056],
  ])('Φ⁻¹(%d) = %d', (p, z) => expectRel(normalQuantile(p), z, 1e-9));

  it('is exact at the ends and NaN outside [0, 1]', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 15);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});

describe('regularizedBeta', () => {
  it('has the closed forms I_x(a,1) = x^a and I_x(1,b) = 1 − (1−x)^b', () => {
    for (const x of [0.01, 0.3, 0.77, 0.999]) {
      expectRel(regularizedBeta(x, 3.5, 1), x ** 3.5, 1e-12);
      expectRel(regularizedBeta(x, 1, 7), 1 - (1 - x) ** 7, 1e-12);
    }
  });

  it('equals the binomial upper tail P(X ≥ k) = I_p(k, n−k+1), summed exactly', () => {
    for (const [n, k, num, den] of [
      [20, 7, 3, 10],
      [200, 120, 1, 2],
      [1000, 50, 1, 20],
    ] as const) {
      const upper = 1 - exactBinomialCdf(k - 1, n, num, den);
      expectRel(regularizedBeta(num / den, k, n - k + 1), upper, 1e-10);
    }
  });
});

/** Student t density with an exact normalizing constant (integer df) and its CDF by Simpson integration. */
function tCdfByIntegration(t: number, df: number): number {
  const lnC = lnGammaExact((df + 1) / 2) - lnGammaExact(df / 2) - 0.5 * Math.log(df * Math.PI);
  const f = (x: number) => Math.exp(lnC - ((df + 1) / 2) * Math.log1p((x * x) / df));
  return t >= 0 ? 0.5 + simpson(f, 0, t, 200_000) : 0.5 - simpson(f, t, 0, 200_000);
}

describe('Student t', () => {
  // Two-sided critical values as printed in t tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2, R qt).
  it.each([
    [1, 0.975, 12.706204736174698],
    [2, 0.975, 4.302652729749464],
    [5, 0.975, 2.570581835636314],
    [10, 0.975, 2.228138851986274],
    [30, 0.975, 2.042272456301238],
    [120, 0.975, 1.979930405082423],
    [10, 0.995, 3.169272672616951],
    [10, 0.95, 1.812461122811676],
  ])('df=%d quantile(%d) = %d', (df, p, t) => {
    expectRel(studentTQuantile(p, df), t, 1e-9);
    expectRel(studentTCdf(t, df), p, 1e-10);
    expectRel(studentTTwoSided(t, df), 2 * (1 - p), 1e-8);
  });

  it('matches numerical integration of the density', () => {
    for (const df of [1, 3, 8, 25]) {
      for (const t of [-3.1, -0.4, 0.05, 1.7, 6]) {
        expectRel(studentTCdf(t, df), tCdfByIntegration(t, df), 1e-9, 1e-12);
      }
    }
  });

  it('tends to the normal for large df', () => {
    expectRel(studentTCdf(1.959963984540054, 1e7), 0.975, 1e-7);
  });
});

describe('binomialCdf and lnChoose', () => {
  it('matches BigInt summation', () => {
    for (const [k, n, num, den] of [
      [0, 1, 1, 2],
      [3, 10, 1, 2],
      [40, 100, 1, 2],
      [10, 300, 1, 10],
      [1000, 2500, 1, 2],
    ] as const) {
      expectRel(binomialCdf(k, n, num / den), exactBinomialCdf(k, n, num, den), 1e-11);
    }
  });

  it('handles k < 0, k ≥ n, n = 0', () => {
    expect(binomialCdf(-1, 5, 0.5)).toBe(0);
    expect(binomialCdf(5, 5, 0.5)).toBe(1);
    expect(binomialCdf(0, 0, 0.5)).toBe(1);
  });

  it('lnChoose matches BigInt binomial coefficients', () => {
    for (const [n, k] of [
      [10, 3],
      [500, 250],
      [5700, 17],
    ] as const) {
      const exact = bigChoose(n, k);
      expectRel(
        lnChoose(n, k),
        Math.log(bigRatio(exact, 10n ** BigInt(exact.toString().length - 1))) +
          (exact.toString().length - 1) * Math.LN10,
        1e-12,
      );
    }
  });
});
