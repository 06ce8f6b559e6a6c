import { describe, expect, it } from 'vitest';
import { diffCredibleInterval } from './bayes.ts';
import { diffInterval, fastDiffInterval } from './credible.ts';

/**
 * The credible interval of p_A − p_B for independent Beta posteriors, against a direct numerical
 * computation written here: P(A − B ≤ d) = ∫ f_B(y) F_A(y + d) dy by the trapezoid rule on a fine grid,
 * F_A by trapezoid integration of the density, then bisection on d.
 */
function lnGamma(x: number): number {
  // Lanczos (g = 7, n = 9)
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function bruteInterval(a: [number, number], b: [number, number], level = 0.95): [number, number] {
  const N = 40_000;
  const dens = ([al, be]: [number, number]) => {
    const ln = lnGamma(al + be) - lnGamma(al) - lnGamma(be);
    return (x: number) =>
      x <= 0 || x >= 1 ? 0 : Math.exp(ln + (al - 1) * Math.log(x) + (be - 1) * Math.log1p(-x));
  };
  const fa = dens(a);
  const fb = dens(b);
  const xs = Array.from({ length: N + 1 }, (_, i) => i / N);
  const FA = new Float64Array(N + 1);
  for (let i = 1; i <= N; i++) FA[i] = FA[i - 1]! + ((fa(xs[i - 1]!) + fa(xs[i]!)) / 2) * (1 / N);
  const cdfA = (x: number) => {
    if (x <= 0) return 0;
    if (x >= 1) return FA[N]!;
    const k = Math.floor(x * N);
    const u = x * N - k;
    return FA[k]! + u * (FA[k + 1]! - FA[k]!);
  };
  const fbv = xs.map(fb);
  const cdf = (d: number) => {
    let s = 0;
    for (let i = 1; i <= N; i++)
      s += ((fbv[i - 1]! * cdfA(xs[i - 1]! + d) + fbv[i]! * cdfA(xs[i]! + d)) / 2) * (1 / N);
    return s / FA[N]!;
  };
  const solve = (target: number) => {
    let lo = -1;
    let hi = 1;
    for (let it = 0; it < 40; it++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return [solve((1 - level) / 2), solve(1 - (1 - level) / 2)];
}

/**
 * For integer parameters, exactly: I_x(α, β) = P(Bin(α + β − 1, x) ≥ α), a finite sum; P(A − B ≤ d) =
 * ∫ f_B(y)·I_{y+d}(A) dy over the y where 0 ≤ y + d ≤ 1 (a smooth polynomial there: Simpson's rule on
 * 20,000 intervals), plus P(B ≥ 1 − d); bisection on d.
 */
function integerInterval(a: [number, number], b: [number, number], level = 0.95): [number, number] {
  const cdf = ([al, be]: [number, number]) => {
    const n = al + be - 1;
    const lnC = Array.from({ length: n + 1 }, (_, k) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1));
    return (x: number) => {
      if (x <= 0) return 0;
      if (x >= 1) return 1;
      const lx = Math.log(x);
      const l1x = Math.log1p(-x);
      let s = 0;
      for (let k = al; k <= n; k++) s += Math.exp(lnC[k]! + k * lx + (n - k) * l1x);
      return s;
    };
  };
  const FA = cdf(a);
  const FB = cdf(b);
  const lnNormB = lnGamma(b[0] + b[1]) - lnGamma(b[0]) - lnGamma(b[1]);
  const fB = (y: number) =>
    Math.exp(
      lnNormB + (b[0] - 1) * Math.log(Math.max(y, 1e-300)) + (b[1] - 1) * Math.log1p(-Math.min(y, 1 - 1e-16)),
    );
  const P = (d: number) => {
    const lo = Math.max(0, -d);
    const hi = Math.min(1, 1 - d);
    let s = 1 - FB(hi); // y + d ≥ 1: A − B ≤ d for sure
    if (hi > lo) {
      const m = 20_000;
      const h = (hi - lo) / m;
      let acc = 0;
      for (let i = 0; i <= m; i++) {
        const y = lo + i * h;
        const wgt = i === 0 || i === m ? 1 : i % 2 ? 4 : 2;
        acc += wgt * fB(y) * FA(y + d);
      }
      s += (acc * h) / 3;
    }
    return s;
  };
  const solve = (t: number) => {
    let lo = -1;
    let hi = 1;
    for (let it = 0; it < 45; it++) {
      const mid = (lo + hi) / 2;
      if (P(mid) < t) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return [solve((1 - level) / 2), solve(1 - (1 - level) / 2)];
}

describe('fastDiffInterval', () => {
  const cases: [[number, number], [number, number]][] = [
    [
      [401, 351],
      [381, 371],
    ], // near-normal posteriors: the midpoint path
    [
      [76, 26],
      [71, 31],
    ], // 100 items, one side below 50: the exact-mass path
  ];
  for (const [a, b] of cases) {
    it(`Beta(${a}) − Beta(${b}) matches a direct integration`, () => {
      const want = bruteInterval(a, b);
      for (const bins of [200, 400]) {
        const got = fastDiffInterval({ alpha: a[0], beta: a[1] }, { alpha: b[0], beta: b[1] }, 0.95, bins);
        expect(Math.abs(got[0] - want[0])).toBeLessThan(5e-5);
        expect(Math.abs(got[1] - want[1])).toBeLessThan(5e-5);
      }
    });
  }

  it('small and extreme posteriors (all right against all wrong, a few items): density at an end of [0, 1]', () => {
    for (const [a, b] of [
      [
        [11, 1],
        [1, 11],
      ], // 10/10 vs 0/10
      [
        [2, 10],
        [11, 1],
      ], // 1/10 vs 10/10
      [
        [9, 3],
        [11, 1],
      ], // 8/10 vs 10/10
      [
        [4, 1],
        [1, 4],
      ], // 3/3 vs 0/3
      [
        [38, 16],
        [37, 17],
      ], // 37/52 vs 36/52
    ] as [[number, number], [number, number]][]) {
      const want = integerInterval(a, b);
      const got = fastDiffInterval({ alpha: a[0], beta: a[1] }, { alpha: b[0], beta: b[1] }, 0.95, 400);
      expect(Math.abs(got[0] - want[0]), `${a} vs ${b}`).toBeLessThan(5e-5);
      expect(Math.abs(got[1] - want[1]), `${a} vs ${b}`).toBeLessThan(5e-5);
      const coarse = diffInterval({ alpha: a[0], beta: a[1] }, { alpha: b[0], beta: b[1] });
      expect(Math.abs(coarse[0] - want[0]), `${a} vs ${b}`).toBeLessThan(1.5e-4);
      expect(Math.abs(coarse[1] - want[1]), `${a} vs ${b}`).toBeLessThan(1.5e-4);
    }
  });

  it("agrees with the core library's integration on a skewed posterior near 0", () => {
    // the core routine is tested against a direct double integral in core/stats/bayes.test.ts
    const a = { alpha: 3, beta: 99 };
    const b = { alpha: 1, beta: 101 };
    const want = diffCredibleInterval(a, b, 0.95, 4000);
    const got = fastDiffInterval(a, b, 0.95, 200);
    expect(Math.abs(got[0] - want[0])).toBeLessThan(5e-5);
    expect(Math.abs(got[1] - want[1])).toBeLessThan(5e-5);
  });

  it('diffInterval: the Cornish–Fisher path (both parameters ≥ 20) matches a direct integration', () => {
    for (const [a, b] of [
      [
        [401, 351],
        [381, 371],
      ],
      [
        [60, 940],
        [75, 925],
      ], // skewed but both parameters ≥ 50
      [
        [5201, 4801],
        [5101, 4901],
      ],
    ] as [[number, number], [number, number]][]) {
      const want = bruteInterval(a, b);
      const got = diffInterval({ alpha: a[0], beta: a[1] }, { alpha: b[0], beta: b[1] });
      expect(Math.abs(got[0] - want[0])).toBeLessThan(5e-5);
      expect(Math.abs(got[1] - want[1])).toBeLessThan(5e-5);
    }
  });
});
