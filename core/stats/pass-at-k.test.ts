import { describe, expect, it } from 'vitest';
import { passAtK, passAtKItem } from './pass-at-k.ts';
import { bigChoose, bigRatio, expectRel } from './testing/exact.ts';
import { byModel, itemsAndModels } from './testing/mmlu-redux.ts';

/** 1 − C(n−c,k)/C(n,k) in exact BigInt arithmetic. */
function exactPassAtK(n: number, c: number, k: number): number {
  const den = bigChoose(n, k);
  return bigRatio(den - bigChoose(n - c, k), den);
}

/** Share of all k-subsets of n samples (c correct) that contain a correct one: the definition pass@k estimates. */
function bySubsets(n: number, c: number, k: number): number {
  let hit = 0;
  let all = 0;
  const rec = (start: number, left: number, any: boolean) => {
    if (left === 0) {
      all++;
      if (any) hit++;
      return;
    }
    for (let i = start; i <= n - left; i++) rec(i + 1, left - 1, any || i < c);
  };
  rec(0, k, false);
  return hit / all;
}

describe('passAtKItem', () => {
  it('equals the share of k-subsets with a correct sample (enumerated)', () => {
    for (let n = 1; n <= 8; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) expectRel(passAtKItem(n, c, k), bySubsets(n, c, k), 1e-13, 1e-15);
      }
    }
  });

  it('matches exact BigInt binomials for large n', () => {
    for (const [n, c, k] of [
      [200, 3, 10],
      [200, 1, 100],
      [1000, 999, 1],
      [1000, 7, 500],
    ] as const) {
      expectRel(passAtKItem(n, c, k), exactPassAtK(n, c, k), 1e-12);
    }
  });

  it('edge cases: n < k → null, all wrong → 0, all correct → 1, k = 1 → c/n', () => {
    expect(passAtKItem(3, 1, 5)).toBeNull();
    expect(passAtKItem(10, 0, 5)).toBe(0);
    expect(passAtKItem(10, 10, 5)).toBe(1);
    expect(passAtKItem(10, 6, 5)).toBe(1); // fewer than k wrong samples: every k-subset has a correct one
    expectRel(passAtKItem(10, 3, 1), 0.3, 1e-15);
    expect(() => passAtKItem(3, 4, 1)).toThrow(RangeError);
    expect(() => passAtKItem(3, 1, 0)).toThrow(RangeError);
  });
});

describe('passAtK', () => {
  it('histogram and list give the same result; n < k counted apart', () => {
    const list = [
      { n: 10, c: 2 },
      { n: 10, c: 2 },
      { n: 10, c: 0 },
      { n: 4, c: 1 },
      { n: 10, c: 9 },
    ];
    const hist = [
      { n: 10, c: 2, count: 2 },
      { n: 10, c: 0, count: 1 },
      { n: 4, c: 1, count: 1 },
      { n: 10, c: 9, count: 1 },
      { n: 10, c: 5, count: 0 },
    ];
    const a = passAtK(list, 5);
    const b = passAtK(hist, 5);
    expect(a.items).toBe(4);
    expect(a.tooFewSamples).toBe(1);
    expectRel(b.value, a.value!, 1e-15);
    expectRel(b.stderr, a.stderr!, 1e-14);
    const vals = [exactPassAtK(10, 2, 5), exactPassAtK(10, 2, 5), 0, 1];
    const mean = vals.reduce((x, y) => x + y) / 4;
    const sd = Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
    expectRel(a.value, mean, 1e-13);
    expectRel(a.stderr, sd / 2, 1e-13);
  });

  it('no items → null; one item → stderr null', () => {
    expect(passAtK([], 1)).toEqual({ k: 1, items: 0, tooFewSamples: 0, value: null, stderr: null });
    expect(passAtK([{ n: 1, c: 1 }], 2)).toEqual({
      k: 2,
      items: 0,
      tooFewSamples: 1,
      value: null,
      stderr: null,
    });
    expect(passAtK([{ n: 3, c: 1 }], 1)).toMatchObject({ items: 1, stderr: null });
  });

  it('real MMLU-Redux: the 14 models as 14 samples per item, against BigInt', () => {
    const { items } = itemsAndModels();
    const models = [...byModel().values()];
    const perItem = items.map((id) => {
      const scored = models.map((m) => m.get(id)).filter((v) => v !== null && v !== undefined);
      return { n: scored.length, c: scored.filter((v) => v === 1).length };
    });
    for (const k of [1, 5, 14]) {
      const r = passAtK(perItem, k);
      const usable = perItem.filter((p) => p.n >= k);
      const exact = usable.map((p) => exactPassAtK(p.n, p.c, k));
      expect(r.items).toBe(usable.length);
      expect(r.tooFewSamples).toBe(perItem.length - usable.length);
      expectRel(r.value, exact.reduce((a, b) => a + b, 0) / exact.length, 1e-12);
    }
  });
});
