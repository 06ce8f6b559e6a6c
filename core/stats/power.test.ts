import { describe, expect, it } from 'vitest';
import { isLargeEnough, minDetectableDiff, minDetectableDiffPaired, pairedSampleSize } from './power.ts';
import { expectRel } from './testing/exact.ts';
import { byModel } from './testing/mmlu-redux.ts';

const Z975 = 1.959963984540054;
const Z80 = 0.8416212335729143;

/** Φ by Simpson integration of the density (independent of the product's normalCdf). */
function phi(x: number): number {
  const f = (t: number) => Math.exp((-t * t) / 2) / Math.sqrt(2 * Math.PI);
  const n = 20_000;
  const h = x / n;
  let s = f(0) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return 0.5 + (s * h) / 3;
}

describe('minDetectableDiff', () => {
  it('inverts R power.prop.test published sample sizes', () => {
    // power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.7 (R documentation example, printed to 0.1)
    expect(minDetectableDiff(76.75, 0.5, { power: 0.9 })!).toBeLessThan(0.25);
    expect(minDetectableDiff(76.65, 0.5, { power: 0.9 })!).toBeGreaterThan(0.25);
    // power.prop.test(p1 = .5, p2 = .6, power = .8) → n = 387.3385
    expectRel(minDetectableDiff(387.3385, 0.5), 0.1, 1e-5);
  });

  it('has the stated power under the normal approximation (computed independently)', () => {
    for (const [n, p] of [
      [100, 0.7],
      [5700, 0.85],
      [30, 0.1],
    ] as const) {
      const d = minDetectableDiff(n, p)!;
      const p2 = p <= 0.5 ? p + d : p - d;
      const pbar = (p + p2) / 2;
      const power = phi(
        (d * Math.sqrt(n) - Z975 * Math.sqrt(2 * pbar * (1 - pbar))) / Math.sqrt(p * (1 - p) + p2 * (1 - p2)),
      );
      expectRel(power, 0.8, 1e-6);
    }
  });

  it('edge cases: n = 0 → null; all correct baseline works downward; shrinks like 1/√n', () => {
    expect(minDetectableDiff(0, 0.5)).toBeNull();
    expect(minDetectableDiff(1, 0.5)).toBeNull(); // nothing within [0, 1] is detectable with one item
    expect(minDetectableDiff(200, 1)).toBeGreaterThan(0);
    expect(minDetectableDiff(200, 0)).toBeGreaterThan(0);
    const r = minDetectableDiff(1000, 0.6)! / minDetectableDiff(4000, 0.6)!;
    expect(r).toBeGreaterThan(1.9);
    expect(r).toBeLessThan(2.1);
  });

  it('isLargeEnough', () => {
    expect(isLargeEnough(387.3385 + 1, 0.5, 0.1)).toBe(true);
    expect(isLargeEnough(387.3385 - 1, 0.5, 0.1)).toBe(false);
    expect(isLargeEnough(387.3385 + 1, 0.5, -0.1)).toBe(true);
    expect(isLargeEnough(0, 0.5, 0.5)).toBe(false);
  });
});

describe('minDetectableDiffPaired', () => {
  it('solves δ√n = z_a√ψ + z_b√(ψ − δ²)', () => {
    for (const [n, psi] of [
      [5700, 0.12],
      [200, 0.3],
    ] as const) {
      const d = minDetectableDiffPaired(n, psi)!;
      expectRel(d * Math.sqrt(n), Z975 * Math.sqrt(psi) + Z80 * Math.sqrt(psi - d * d), 1e-10);
    }
    expect(minDetectableDiffPaired(0, 0.2)).toBeNull();
    expect(minDetectableDiffPaired(100, 0)).toBeNull();
  });

  it('exact McNemar power at the returned δ is close to 80 % (checks the approximation)', () => {
    const n = 400;
    const psi = 0.2;
    const d = minDetectableDiffPaired(n, psi)!;
    // D ~ Bin(n, ψ) discordant pairs; given D, b ~ Bin(D, (ψ + δ)/(2ψ)); reject when the exact two-sided p < 0.05.
    const lf = [0];
    for (let i = 1; i <= n; i++) lf.push(lf[i - 1]! + Math.log(i));
    const lpmf = (k: number, m: number, q: number) =>
      lf[m]! - lf[k]! - lf[m - k]! + k * Math.log(q) + (m - k) * Math.log1p(-q);
    const qb = (psi + d) / (2 * psi);
    let power = 0;
    for (let D = 1; D <= n; D++) {
      const pD = Math.exp(lpmf(D, n, psi));
      // exact McNemar p for each b, from the Bin(D, ½) lower tail
      const cdf: number[] = [];
      let acc = 0;
      for (let k = 0; k <= D; k++) {
        acc += Math.exp(lpmf(k, D, 0.5));
        cdf.push(acc);
      }
      for (let b = 0; b <= D; b++) {
        const p = Math.min(1, 2 * cdf[Math.min(b, D - b)]!);
        if (p < 0.05) power += pD * Math.exp(lpmf(b, D, qb));
      }
    }
    expect(power).toBeGreaterThan(0.75);
    expect(power).toBeLessThan(0.85);
  });

  it('on real MMLU-Redux pairs the paired design detects smaller differences', () => {
    const [a, b] = [...byModel().values()];
    let n = 0;
    let disc = 0;
    let correctA = 0;
    for (const [id, x] of a!) {
      const y = b!.get(id);
      if (x === null || y === null || y === undefined) continue;
      n++;
      correctA += x;
      if (x !== y) disc++;
    }
    const paired = minDetectableDiffPaired(n, disc / n)!;
    const indep = minDetectableDiff(n, correctA / n)!;
    expect(paired).toBeLessThan(indep);
  });
});

describe('pairedSampleSize', () => {
  it('is the smallest n whose McNemar power (normal approximation, computed here) reaches 80 %', () => {
    for (const [delta, psi] of [
      [0.05, 0.2],
      [0.02, 0.1],
      [0.1, 0.3],
      [0.01, 0.012],
    ] as const) {
      const n = pairedSampleSize(delta, psi)!;
      const power = (m: number) =>
        phi((delta * Math.sqrt(m) - Z975 * Math.sqrt(psi)) / Math.sqrt(psi - delta * delta));
      expect(power(n)).toBeGreaterThanOrEqual(0.8 - 1e-9);
      expect(power(n - 1)).toBeLessThan(0.8);
      // and it inverts the minimum detectable difference
      expect(minDetectableDiffPaired(n, psi)!).toBeLessThanOrEqual(delta + 1e-12);
    }
  });

  it('Connor (1987) by hand: δ = 0.1, ψ = 0.3 → (1.95996·√0.3 + 0.84162·√0.29)² / 0.01 = 233.09 → 234', () => {
    expect(pairedSampleSize(0.1, 0.3)).toBe(234);
    expect(pairedSampleSize(0.1, 0.3, { power: 0.9 })).toBeGreaterThan(234);
  });

  it('no discordance, or a target above it, cannot be detected; bad targets are refused', () => {
    expect(pairedSampleSize(0.05, 0)).toBeNull();
    expect(pairedSampleSize(0.05, 0.04)).toBeNull();
    expect(() => pairedSampleSize(0, 0.2)).toThrow(RangeError);
    expect(() => pairedSampleSize(0.1, 1.2)).toThrow(RangeError);
  });
});
