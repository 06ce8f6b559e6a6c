import { describe, expect, it } from 'vitest';
import { expectRel } from './testing/exact.ts';
import { byModel } from './testing/mmlu-redux.ts';
import { wilson } from './wilson.ts';

/** Wilson bounds as the roots of (p̂ − p)² = z² p(1−p)/n, solved with the quadratic formula. */
function wilsonByRoots(s: number, n: number, z: number): [number, number] {
  const ph = s / n;
  // (1 + z²/n) p² − (2p̂ + z²/n) p + p̂² = 0
  const A = 1 + (z * z) / n;
  const B = -(2 * ph + (z * z) / n);
  const C = ph * ph;
  const disc = Math.sqrt(B * B - 4 * A * C);
  return [(-B - disc) / (2 * A), (-B + disc) / (2 * A)];
}

describe('wilson', () => {
  it('n = 0 → null', () => expect(wilson(0, 0)).toBeNull());

  it('matches published values (Newcombe 1998, Table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605)', () => {
    const [lo, hi] = wilson(81, 263)!;
    expect(lo).toBeCloseTo(0.2553, 4);
    expect(hi).toBeCloseTo(0.3662, 4);
    const [lo2, hi2] = wilson(15, 148)!;
    expect(lo2).toBeCloseTo(0.0624, 4);
    expect(hi2).toBeCloseTo(0.1605, 4);
  });

  it('n = 1, all wrong, all correct', () => {
    const z = 1.959964;
    expect(wilson(0, 1)).toEqual([0, expect.closeTo(wilsonByRoots(0, 1, z)[1], 12)]);
    expect(wilson(1, 1)![1]).toBe(1);
    expectRel(wilson(1, 1)![0], wilsonByRoots(1, 1, z)[0], 1e-12);
    // all correct on 50: lower bound n/(n + z²)
    expectRel(wilson(50, 50)![0], 50 / (50 + z * z), 1e-12);
    expect(wilson(0, 50)![0]).toBe(0);
  });

  it('matches the quadratic roots on real MMLU-Redux accuracies', () => {
    for (const [, items] of byModel()) {
      const scored = [...items.values()].filter((v) => v !== null);
      const s = scored.filter((v) => v === 1).length;
      const [lo, hi] = wilson(s, scored.length)!;
      const [elo, ehi] = wilsonByRoots(s, scored.length, 1.959964);
      expectRel(lo, elo, 1e-12);
      expectRel(hi, ehi, 1e-12);
    }
  });

  it('rejects impossible counts', () => {
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(-1, 2)).toThrow(RangeError);
    expect(() => wilson(1.5, 2)).toThrow(RangeError);
  });
});
