import { describe, expect, it } from 'vitest';
import { mcnemarExact } from './mcnemar.ts';
import { pairedBinary } from './paired.ts';
import { bigChoose, bigRatio, expectRel } from './testing/exact.ts';
import { byModel, itemsAndModels } from './testing/mmlu-redux.ts';

/** min(1, 2·Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c)) in BigInt. */
function exactMcNemar(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let s = 0n;
  for (let i = 0; i <= Math.min(b, c); i++) s += bigChoose(n, i);
  return Math.min(1, bigRatio(2n * s, 2n ** BigInt(n)));
}

describe('mcnemarExact', () => {
  it('edge cases: no discordant pairs, one, ties, all one way', () => {
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(mcnemarExact(1, 0)).toBe(1);
    expect(mcnemarExact(7, 7)).toBe(1);
    expect(mcnemarExact(0, 5)).toBeCloseTo(0.0625, 15);
    expect(mcnemarExact(6, 0)).toBeCloseTo(0.03125, 15);
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
  });

  it('matches BigInt summation, including tiny p-values', () => {
    for (const [b, c] of [
      [3, 12],
      [40, 61],
      [0, 200],
      [310, 250],
      [1000, 1200],
    ] as const) {
      expectRel(mcnemarExact(b, c), exactMcNemar(b, c), 1e-11);
    }
  });
});

describe('pairedBinary on real MMLU-Redux pairs', () => {
  const models = byModel();
  const { items, models: names } = itemsAndModels();
  const pairs: [string, string][] = [
    [names[0]!, names[1]!],
    [names[2]!, names[3]!],
    [names[4]!, names[5]!],
  ];
  it.each(pairs)('%s vs %s: McNemar and the paired CI against direct computation', (ma, mb) => {
    const xa = items.map((id) => models.get(ma)!.get(id) ?? null);
    const xb = items.map((id) => models.get(mb)!.get(id) ?? null);
    let n = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < items.length; i++) {
      if (xa[i] === null || xb[i] === null) continue;
      n++;
      if (xa[i] === 1 && xb[i] === 0) b++;
      if (xa[i] === 0 && xb[i] === 1) c++;
    }
    const r = pairedBinary(xa, xb);
    if (!r.testable) throw new Error(r.reason);
    expect([r.n, r.b, r.c]).toEqual([n, b, c]);
    expectRel(r.pValue, exactMcNemar(b, c), 1e-10);
    const diff = (b - c) / n;
    // d_i ∈ {−1, 0, 1}: Σ(d − d̄)² = (b + c) − n·d̄²
    const varD = (b + c - n * diff * diff) / (n - 1);
    const se = Math.sqrt(varD / n);
    expectRel(r.diff, diff, 1e-13, 1e-16);
    expectRel(r.stderr, se, 1e-12);
    expectRel(r.ci[0], diff - 1.959964 * se, 1e-11, 1e-15);
    expectRel(r.ci[1], diff + 1.959964 * se, 1e-11, 1e-15);
  });

  it('a model against itself: no discordant pairs → p = 1, CI [0, 0]', () => {
    const x = items.map((id) => models.get(names[0]!)!.get(id) ?? null);
    const r = pairedBinary(x, x);
    expect(r).toMatchObject({ testable: true, b: 0, c: 0, pValue: 1, diff: 0, stderr: 0, ci: [0, 0] });
  });

  it('n = 0 and n = 1 are untestable; unscored pairs are dropped', () => {
    expect(pairedBinary([], [])).toMatchObject({ testable: false });
    expect(pairedBinary([1, null], [0, 1])).toMatchObject({ testable: false });
    expect(pairedBinary([1, 0, null], [0, 0, 1])).toMatchObject({ testable: true, n: 2, b: 1, c: 0 });
    expect(() => pairedBinary([1], [1, 0])).toThrow(RangeError);
    expect(() => pairedBinary([0.5 as 1], [1])).toThrow(RangeError);
  });

  it('all correct for both → diff 0, p 1', () => {
    expect(pairedBinary([1, 1, 1], [true, true, true])).toMatchObject({ diff: 0, pValue: 1, accuracyA: 1 });
  });
});
