import { describe, expect, it } from 'vitest';
import { type PairedCells, pairedBayes } from './paired-bayes.ts';
import { exactBinomialCdf } from './testing/exact.ts';

/**
 * The posterior of (p_onlyA, p_onlyB) is Dirichlet(a, b, c) on the triangle x + y ≤ 1, density ∝
 * x^(a−1)·y^(b−1)·(1 − x − y)^(c−1). Integrated here on an N×N midpoint grid, independently of the
 * product's decomposition into Beta variables: P(y > x), E[max(0, x − y)], E[y − x] and the quantiles of y − x.
 */
function byGrid(cells: PairedCells, prior = 1, N = 700) {
  const a = prior + cells.onlyA;
  const b = prior + cells.onlyB;
  const c = 2 * prior + cells.both + cells.neither;
  const pts: { d: number; w: number }[] = [];
  let tot = 0;
  const logs: number[] = [];
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const x = (i + 0.5) / N;
      const y = (j + 0.5) / N;
      if (x + y >= 1) continue;
      const l = (a - 1) * Math.log(x) + (b - 1) * Math.log(y) + (c - 1) * Math.log(1 - x - y);
      logs.push(l);
      pts.push({ d: y - x, w: 0 });
    }
  }
  let mx = -Infinity;
  for (const l of logs) if (l > mx) mx = l;
  pts.forEach((p, k) => {
    p.w = Math.exp(logs[k]! - mx);
    tot += p.w;
  });
  let pB = 0;
  let tie = 0;
  let lossB = 0;
  let lossA = 0;
  let mean = 0;
  for (const p of pts) {
    p.w /= tot;
    if (p.d > 1e-12) pB += p.w;
    else if (Math.abs(p.d) <= 1e-12) tie += p.w;
    lossB += p.w * Math.max(0, -p.d);
    lossA += p.w * Math.max(0, p.d);
    mean += p.w * p.d;
  }
  pts.sort((u, v) => u.d - v.d);
  const q = (target: number) => {
    let acc = 0;
    for (const p of pts) {
      acc += p.w;
      if (acc >= target) return p.d;
    }
    return pts[pts.length - 1]!.d;
  };
  return { pB: pB + tie / 2, lossB, lossA, mean, ci: [q(0.025), q(0.975)] as const };
}

/** For integer a, b: I_½(a, b) = P(Bin(a + b − 1, ½) ≥ a), exactly by BigInt. */
const exactProb = (a: number, b: number) => 1 - exactBinomialCdf(a - 1, a + b - 1, 1, 2);

describe('pairedBayes (Dirichlet posterior over the paired 2×2 cells)', () => {
  it('prior only: P = ½, mean 0, each expected loss = E[s]·E[max(0, 1 − 2u)] = ½·¼, symmetric interval', () => {
    const r = pairedBayes({ both: 0, onlyA: 0, onlyB: 0, neither: 0 });
    expect(r.prior).toBe(1);
    expect(r.probBBeatsA).toBeCloseTo(0.5, 14);
    expect(r.diffMean).toBe(0);
    expect(r.expectedLossB).toBeCloseTo(0.125, 14);
    expect(r.expectedLossA).toBeCloseTo(0.125, 14);
    // δ = s·(2u − 1), s ~ Beta(2, 2), u ~ U(0, 1): P(δ ≤ −t) = ∫_t^1 6s(1 − s)·(1 − t/s)/2 ds = (1 − t)³/2,
    // so the 2.5 % point is −(1 − 0.05^⅓). The posterior sd of δ is √0.1 ≈ 0.32; Monte Carlo error ~3 % of it.
    const t = 1 - 0.05 ** (1 / 3);
    expect(r.method).toBe('grid');
    expect(Math.abs(r.ci[0] + t)).toBeLessThan(1e-3);
    expect(Math.abs(r.ci[1] - t)).toBeLessThan(1e-3);
    const g = byGrid({ both: 0, onlyA: 0, onlyB: 0, neither: 0 });
    expect(g.ci[0]).toBeCloseTo(-t, 2); // the test's grid agrees with the closed form
  });

  it('known tables: P(B > A) exact (BigInt binomial), loss, mean and interval equal a 2-D integration', () => {
    const tables: PairedCells[] = [
      { both: 30, onlyA: 5, onlyB: 12, neither: 8 },
      { both: 10, onlyA: 3, onlyB: 3, neither: 4 },
      { both: 2, onlyA: 0, onlyB: 4, neither: 1 },
      { both: 40, onlyA: 9, onlyB: 2, neither: 20 },
    ];
    for (const t of tables) {
      const r = pairedBayes(t);
      expect(Math.abs(r.probBBeatsA - exactProb(1 + t.onlyA, 1 + t.onlyB))).toBeLessThan(1e-12);
      const total = 4 + t.both + t.onlyA + t.onlyB + t.neither;
      expect(r.diffMean).toBeCloseTo((t.onlyB - t.onlyA) / total, 14);
      const g = byGrid(t);
      expect(r.probBBeatsA).toBeCloseTo(g.pB, 3);
      expect(r.expectedLossB).toBeCloseTo(g.lossB, 4);
      expect(r.expectedLossA).toBeCloseTo(g.lossA, 4);
      // E[max(0, δ)] − E[max(0, −δ)] = E[δ]: an identity the two exact losses must satisfy
      expect(r.expectedLossA - r.expectedLossB).toBeCloseTo(r.diffMean, 12);
      // the interval against the test's grid (cells of 1/700)
      expect(Math.abs(r.ci[0] - g.ci[0])).toBeLessThan(0.002);
      expect(Math.abs(r.ci[1] - g.ci[1])).toBeLessThan(0.002);
    }
  });

  it('symmetry: swapping A and B gives 1 − P, −mean, swapped losses and a mirrored interval', () => {
    const t = { both: 50, onlyA: 7, onlyB: 15, neither: 11 };
    const r = pairedBayes(t);
    const s = pairedBayes({ ...t, onlyA: t.onlyB, onlyB: t.onlyA });
    expect(s.probBBeatsA).toBeCloseTo(1 - r.probBBeatsA, 12);
    expect(s.diffMean).toBeCloseTo(-r.diffMean, 14);
    expect(s.expectedLossB).toBeCloseTo(r.expectedLossA, 14);
    expect(s.expectedLossA).toBeCloseTo(r.expectedLossB, 14);
    expect(s.ci[0]).toBeCloseTo(-r.ci[1], 2);
    expect(s.ci[1]).toBeCloseTo(-r.ci[0], 2);
    // both-right and neither only enter through their sum
    const m = pairedBayes({ ...t, both: t.both + t.neither, neither: 0 });
    expect(m.probBBeatsA).toBe(r.probBBeatsA);
    expect(m.expectedLossB).toBe(r.expectedLossB);
  });

  it('large tables: the interval is about mean ± 1.96·sd with the exact Dirichlet variance of δ', () => {
    const t = { both: 4000, onlyA: 400, onlyB: 610, neither: 1200 };
    const r = pairedBayes(t);
    const a = 1 + t.onlyA;
    const b = 1 + t.onlyB;
    const A = 4 + t.both + t.onlyA + t.onlyB + t.neither;
    // Var(y − x) = Var x + Var y − 2 Cov(x, y) for (x, y) of a Dirichlet with total A
    const sd = Math.sqrt((a * (A - a) + b * (A - b) + 2 * a * b) / (A * A * (A + 1)));
    const m = (b - a) / A;
    expect(Math.abs(r.ci[0] - (m - 1.959964 * sd))).toBeLessThan(0.03 * sd);
    expect(Math.abs(r.ci[1] - (m + 1.959964 * sd))).toBeLessThan(0.03 * sd);
    expect(r.probBBeatsA).toBeGreaterThan(0.999);
  });

  it('a prior below 1: seeded Monte Carlo interval, reproducible, near the 2-D integration', () => {
    const t = { both: 6, onlyA: 0, onlyB: 3, neither: 2 };
    const r = pairedBayes(t, { prior: 0.5 });
    expect(r.method).toBe('monte_carlo');
    expect(pairedBayes(t, { prior: 0.5 })).toEqual(r);
    const o = pairedBayes(t, { prior: 0.5, seed: 7 });
    expect(o.ci[0]).not.toBe(r.ci[0]);
    const g = byGrid(t, 0.5, 1400);
    // 20 000 draws: Monte Carlo error ~2 % of the posterior sd (≈ 0.13 here)
    for (const x of [r, o]) {
      expect(Math.abs(x.ci[0] - g.ci[0])).toBeLessThan(0.012);
      expect(Math.abs(x.ci[1] - g.ci[1])).toBeLessThan(0.012);
    }
  });

  it('a stronger prior shrinks toward no difference; bad options are refused', () => {
    const t = { both: 5, onlyA: 1, onlyB: 6, neither: 2 };
    const weak = pairedBayes(t, { prior: 0.5 });
    const strong = pairedBayes(t, { prior: 20 });
    expect(strong.probBBeatsA).toBeLessThan(weak.probBBeatsA);
    expect(strong.probBBeatsA).toBeGreaterThan(0.5);
    expect(Math.abs(weak.probBBeatsA - byGrid(t, 0.5, 1400).pB)).toBeLessThan(0.01);
    expect(() => pairedBayes(t, { prior: 0 })).toThrow(RangeError);
    expect(() => pairedBayes({ ...t, onlyA: -1 })).toThrow(RangeError);
    expect(() => pairedBayes({ ...t, both: 1.5 })).toThrow(RangeError);
  });
});
