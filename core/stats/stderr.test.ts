import { describe, expect, it } from 'vitest';
import { addSums, fromSums, meanStderr, meanWithStderr } from './stderr.ts';
import { expectRel } from './testing/exact.ts';
import { byModel } from './testing/mmlu-redux.ts';

/** Textbook two-pass sample variance. */
function twoPass(xs: number[]): { mean: number; variance: number } {
  let s = 0;
  for (const x of xs) s += x;
  const m = s / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return { mean: m, variance: ss / (xs.length - 1) };
}

describe('meanStderr', () => {
  it('n < 2 → null', () => {
    expect(meanStderr([])).toBeNull();
    expect(meanStderr([1])).toBeNull();
    expect(meanWithStderr([])).toEqual({ n: 0, mean: null, stderr: null });
    expect(meanWithStderr([0.5])).toEqual({ n: 1, mean: 0.5, stderr: null });
  });

  it('is sd/√n with the n−1 sd; 0/1 data gives √(p(1−p)/(n−1))', () => {
    expect(meanStderr([1, 1, 1])).toBe(0);
    expect(meanStderr([0, 0])).toBe(0);
    expectRel(meanStderr([0, 1]), 0.5, 1e-15);
    const n = 40;
    const xs = Array.from({ length: n }, (_, i) => (i < 13 ? 1 : 0));
    const p = 13 / 40;
    expectRel(meanStderr(xs), Math.sqrt((p * (1 - p)) / (n - 1)), 1e-13);
  });

  it('matches √(p(1−p)/(n−1)) for every real MMLU-Redux model', () => {
    for (const [, items] of byModel()) {
      const xs = [...items.values()].filter((v): v is 0 | 1 => v !== null);
      const p = xs.filter((v) => v === 1).length / xs.length;
      expectRel(meanStderr(xs), Math.sqrt((p * (1 - p)) / (xs.length - 1)), 1e-12);
    }
  });
});

describe('fromSums', () => {
  it('edge cases: n = 0, n = 1, constant data', () => {
    expect(fromSums({ n: 0, sum: 0, sumSq: 0 })).toEqual({ n: 0, mean: null, variance: null, stderr: null });
    expect(fromSums({ n: 1, sum: 0.7, sumSq: 0.49 })).toEqual({
      n: 1,
      mean: 0.7,
      variance: null,
      stderr: null,
    });
    // ten values of 0.1: SQL's sumSq can land one ulp below sum²/n; variance must come out 0, not NaN
    const r = fromSums({ n: 10, sum: 1, sumSq: 0.09999999999999999 });
    expect(r.variance).toBe(0);
    expect(r.stderr).toBe(0);
  });

  it('agrees with the two-pass variance on real data', () => {
    const xs = [...byModel().values()].map((m) => [...m.values()].filter((v): v is 0 | 1 => v !== null))[0]!;
    const sum = xs.reduce<number>((a, b) => a + b, 0);
    const r = fromSums({ n: xs.length, sum, sumSq: sum });
    const tp = twoPass(xs);
    expectRel(r.mean, tp.mean, 1e-14);
    expectRel(r.variance, tp.variance, 1e-12);
    expectRel(r.stderr, Math.sqrt(tp.variance / xs.length), 1e-12);
  });

  it('with a shift, survives data far from zero (naive sums lose every digit)', () => {
    const xs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]; // variance 30 exactly
    const shift = 1e9;
    const shifted = xs.map((x) => x - shift);
    const r = fromSums({
      n: 4,
      sum: shifted.reduce((a, b) => a + b, 0),
      sumSq: shifted.reduce((a, b) => a + b * b, 0),
      shift,
    });
    expect(r.variance).toBe(30);
    expect(r.mean).toBe(1e9 + 10);
  });

  it('addSums rolls groups up to the sums of the union', () => {
    const groups = [[0.2, 0.4], [1, 0, 1], [0.5]];
    const sums = groups.map((g) => ({
      n: g.length,
      sum: g.reduce((a, b) => a + b, 0),
      sumSq: g.reduce((a, b) => a + b * b, 0),
    }));
    const all = groups.flat();
    const r = fromSums(addSums(sums));
    const tp = twoPass(all);
    expectRel(r.mean, tp.mean, 1e-14);
    expectRel(r.variance, tp.variance, 1e-13);
    expect(() =>
      addSums([
        { n: 1, sum: 1, sumSq: 1, shift: 1 },
        { n: 1, sum: 1, sumSq: 1 },
      ]),
    ).toThrow(RangeError);
  });
});
