import { describe, expect, it } from 'vitest';
import { bayesAB, betaPosterior, diffCredibleInterval, probAGreaterB } from './bayes.ts';
import { expectRel, lnGammaExact } from './testing/exact.ts';
import { byModel } from './testing/mmlu-redux.ts';

/** Beta(α, β) density on the midpoints of an N-cell grid of [0, 1], normalizing constant from exact factorials. */
function densityGrid(alpha: number, beta: number, N: number): Float64Array {
  const lnC = lnGammaExact(alpha + beta) - lnGammaExact(alpha) - lnGammaExact(beta);
  const f = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const x = (i + 0.5) / N;
    f[i] = Math.exp(lnC + (alpha - 1) * Math.log(x) + (beta - 1) * Math.log1p(-x));
  }
  return f;
}

/**
 * ∬_{x > y} f_A(x) f_B(y) dy dx by the midpoint rule on an N × N grid; the inner sum over y < x is carried as a
 * running total (cells on the diagonal count half), which is the same double sum in O(N).
 */
function probByDoubleIntegral(a: [number, number], b: [number, number], N: number): number {
  const fa = densityGrid(a[0], a[1], N);
  const fb = densityGrid(b[0], b[1], N);
  const h = 1 / N;
  let inner = 0;
  let total = 0;
  for (let i = 0; i < N; i++) {
    total += fa[i]! * h * (inner + (fb[i]! * h) / 2);
    inner += fb[i]! * h;
  }
  return total;
}

/** P(p_A − p_B ≤ d) on the grid: Σ_j f_B(y_j) h · F_A(y_j + d), F_A by cumulative midpoint sums, interpolated. */
function diffCdfByGrid(a: [number, number], b: [number, number], d: number, N: number): number {
  const fa = densityGrid(a[0], a[1], N);
  const fb = densityGrid(b[0], b[1], N);
  const h = 1 / N;
  const Fa = new Float64Array(N + 1); // F_A at the cell edges
  for (let i = 0; i < N; i++) Fa[i + 1] = Fa[i]! + fa[i]! * h;
  const FaAt = (x: number) => {
    if (x <= 0) return 0;
    if (x >= 1) return Fa[N]!;
    const k = Math.floor(x * N);
    const t = x * N - k;
    return Fa[k]! + t * (Fa[k + 1]! - Fa[k]!);
  };
  let s = 0;
  for (let j = 0; j < N; j++) s += fb[j]! * h * FaAt((j + 0.5) / N + d);
  return s;
}

describe('betaPosterior', () => {
  it('Beta(1,1) prior; n = 0 gives the prior; all correct / all wrong', () => {
    expect(betaPosterior(0, 0)).toEqual({ alpha: 1, beta: 1, mean: 0.5 });
    expect(betaPosterior(7, 10)).toEqual({ alpha: 8, beta: 4, mean: 8 / 12 });
    expect(betaPosterior(10, 10)).toMatchObject({ alpha: 11, beta: 1 });
    expect(betaPosterior(0, 10)).toMatchObject({ alpha: 1, beta: 11 });
    expect(() => betaPosterior(11, 10)).toThrow(RangeError);
  });
});

describe('probAGreaterB', () => {
  it('symmetry and n = 0', () => {
    expect(probAGreaterB({ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 })).toBeCloseTo(0.5, 14);
    expect(probAGreaterB({ alpha: 6, beta: 5 }, { alpha: 6, beta: 5 })).toBeCloseTo(0.5, 13);
    const p = probAGreaterB({ alpha: 8, beta: 4 }, { alpha: 3, beta: 9 });
    expect(p + probAGreaterB({ alpha: 3, beta: 9 }, { alpha: 8, beta: 4 })).toBeCloseTo(1, 13);
  });

  it('matches the closed form for Beta(1,1) vs Beta(2,1): P = 1/3', () => {
    // ∫₀¹ ∫₀ˣ 2y dy dx = 1/3
    expect(probAGreaterB({ alpha: 1, beta: 1 }, { alpha: 2, beta: 1 })).toBeCloseTo(1 / 3, 14);
  });

  it.each([
    [
      [4, 8],
      [6, 6],
    ],
    [
      [31, 21],
      [25, 27],
    ],
    [
      [1, 40],
      [3, 38],
    ],
    [
      [101, 1],
      [95, 7],
    ],
  ] as [number, number][][])('Beta%j vs Beta%j: matches a numerical double integral', (a, b) => {
    expectRel(
      probAGreaterB({ alpha: a[0]!, beta: a[1]! }, { alpha: b[0]!, beta: b[1]! }),
      probByDoubleIntegral(a as [number, number], b as [number, number], 200_000),
      1e-7,
    );
  });

  it('real MMLU-Redux models (n ≈ 5,700): matches the double integral', () => {
    const acc = [...byModel()].slice(0, 4).map(([, items]) => {
      const xs = [...items.values()].filter((v) => v !== null);
      return [xs.filter((v) => v === 1).length, xs.length] as const;
    });
    for (let i = 0; i + 1 < acc.length; i++) {
      const [sa, na] = acc[i]!;
      const [sb, nb] = acc[i + 1]!;
      const a: [number, number] = [1 + sa, 1 + na - sa];
      const b: [number, number] = [1 + sb, 1 + nb - sb];
      const exact = probAGreaterB({ alpha: a[0], beta: a[1] }, { alpha: b[0], beta: b[1] });
      expectRel(exact, probByDoubleIntegral(a, b, 1_000_000), 1e-6, 1e-12);
    }
  });

  it('rejects non-integer alphas on both sides', () => {
    expect(() => probAGreaterB({ alpha: 1.5, beta: 1 }, { alpha: 2.5, beta: 1 })).toThrow(RangeError);
    expect(probAGreaterB({ alpha: 1.5, beta: 1 }, { alpha: 2, beta: 1 })).toBeGreaterThan(0);
  });
});

describe('diffCredibleInterval', () => {
  it.each([
    [
      [4, 8],
      [6, 6],
    ],
    [
      [1, 40],
      [30, 11],
    ],
    [
      [4001, 1701],
      [3951, 1751],
    ],
    [
      [5701, 1],
      [5691, 11],
    ],
  ] as [number, number][][])(
    'Beta%j − Beta%j: bounds sit at the 2.5 %% and 97.5 %% points of a grid convolution',
    (a, b) => {
      const [lo, hi] = diffCredibleInterval({ alpha: a[0]!, beta: a[1]! }, { alpha: b[0]!, beta: b[1]! });
      const A = a as [number, number];
      const B = b as [number, number];
      expectRel(diffCdfByGrid(A, B, lo, 400_000), 0.025, 2e-4);
      expectRel(diffCdfByGrid(A, B, hi, 400_000), 0.975, 1e-5);
    },
  );

  it('bayesAB with n = 0 on both sides: the difference of two uniforms (triangular), ±(1 − √0.05)', () => {
    const r = bayesAB(0, 0, 0, 0);
    expect(r.probAGreaterB).toBeCloseTo(0.5, 14);
    expect(r.diffInterval[0]).toBeCloseTo(-(1 - Math.sqrt(0.05)), 5);
    expect(r.diffInterval[1]).toBeCloseTo(1 - Math.sqrt(0.05), 5);
  });
});
