import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, holm } from './corrections.ts';
import { mulberry32 } from './testing/exact.ts';

/** Holm by its definition, O(m²): max over p_j ≤ p_i of (m − #{l: p_l < p_j})·p_j, capped at 1. */
function holmBrute(ps: number[]): number[] {
  const m = ps.length;
  return ps.map((pi) => {
    let best = 0;
    for (const pj of ps) {
      if (pj > pi) continue;
      const below = ps.filter((q) => q < pj).length;
      best = Math.max(best, (m - below) * pj);
    }
    return Math.min(1, best);
  });
}

/** BH by its definition, O(m²): min over p_j ≥ p_i of m·p_j / #{l: p_l ≤ p_j}, capped at 1. */
function bhBrute(ps: number[]): number[] {
  const m = ps.length;
  return ps.map((pi) => {
    let best = Number.POSITIVE_INFINITY;
    for (const pj of ps) {
      if (pj < pi) continue;
      const rank = ps.filter((q) => q <= pj).length;
      best = Math.min(best, (m * pj) / rank);
    }
    return Math.min(1, best);
  });
}

describe('holm and benjaminiHochberg', () => {
  it('reproduce R p.adjust on a textbook family', () => {
    // p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") → 0.05 0.08 0.09 0.09 0.09 ; "BH" → 0.05 × 5
    const ps = [0.01, 0.02, 0.03, 0.04, 0.05];
    expect(holm(ps)).toEqual([0.05, 0.08, 0.09, 0.09, 0.09].map((v) => expect.closeTo(v, 14)));
    expect(benjaminiHochberg(ps)).toEqual(ps.map(() => expect.closeTo(0.05, 14)));
  });

  it('match the O(m²) definitions on random families with ties, in any order', () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 50; trial++) {
      const m = 1 + Math.floor(rand() * 30);
      const ps = Array.from({ length: m }, () =>
        rand() < 0.2 ? 0.01 : Math.round(rand() ** 2 * 1000) / 1000,
      );
      expect(holm(ps)).toEqual(holmBrute(ps).map((v) => expect.closeTo(v, 14)));
      expect(benjaminiHochberg(ps)).toEqual(bhBrute(ps).map((v) => expect.closeTo(v, 14)));
    }
  });

  it('are monotone in p, never below p, capped at 1', () => {
    const rand = mulberry32(11);
    const ps = Array.from({ length: 200 }, () => rand());
    for (const adj of [holm(ps), benjaminiHochberg(ps)]) {
      const order = ps.map((p, i) => [p, adj[i]!] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < order.length; i++) expect(order[i]![1]).toBeGreaterThanOrEqual(order[i - 1]![1]);
      for (const [p, a] of order) {
        expect(a).toBeGreaterThanOrEqual(p);
        expect(a).toBeLessThanOrEqual(1);
      }
    }
  });

  it('untestable entries are left out of the family and come back null', () => {
    const ps = [0.01, null, 0.04, undefined, Number.NaN, 0.03];
    expect(holm(ps)).toEqual([0.03, null, expect.closeTo(0.06, 14), null, null, expect.closeTo(0.06, 14)]);
    expect(benjaminiHochberg(ps)).toEqual([
      0.03,
      null,
      expect.closeTo(0.04, 14),
      null,
      null,
      expect.closeTo(0.04, 14),
    ]);
    expect(holm([])).toEqual([]);
    expect(benjaminiHochberg([null])).toEqual([null]);
    expect(holm([0.3])).toEqual([0.3]);
  });
});
