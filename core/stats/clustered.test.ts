import { describe, expect, it } from 'vitest';
import { clusteredStderr, resampledStderr } from './clustered.ts';
import { expectRel } from './testing/exact.ts';
import { byModel } from './testing/mmlu-redux.ts';

/** Miller (2024) eq. 4 written literally: SE_CLT² + (1/n²) Σ_c Σ_i Σ_{j≠i} e_ic e_jc, with an O(n²) loop per cluster. */
function millerLiteral(values: number[], clusters: string[]): number {
  const n = values.length;
  const m = values.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  const seClt2 = ss / (n - 1) / n;
  const groups = new Map<string, number[]>();
  values.forEach((v, i) => {
    const c = clusters[i]!;
    groups.set(c, [...(groups.get(c) ?? []), v - m]);
  });
  let cross = 0;
  for (const es of groups.values()) {
    for (let i = 0; i < es.length; i++) {
      for (let j = 0; j < es.length; j++) if (i !== j) cross += es[i]! * es[j]!;
    }
  }
  return Math.sqrt(seClt2 + cross / (n * n));
}

describe('clusteredStderr', () => {
  it('n < 2 → null; singleton clusters → the CLT stderr', () => {
    expect(clusteredStderr([], [])).toBeNull();
    expect(clusteredStderr([1], ['a'])).toBeNull();
    const xs = [1, 0, 1, 1, 0];
    const sd = Math.sqrt((3 * 0.4 ** 2 + 2 * 0.6 ** 2) / 4);
    expectRel(clusteredStderr(xs, ['a', 'b', 'c', 'd', 'e']), sd / Math.sqrt(5), 1e-14);
  });

  it('all correct → 0', () => {
    expect(clusteredStderr([1, 1, 1, 1], ['a', 'a', 'b', 'b'])).toBe(0);
  });

  it('perfectly correlated clusters widen the error bar', () => {
    const xs = [1, 1, 1, 0, 0, 0];
    const cl = ['a', 'a', 'a', 'b', 'b', 'b'];
    expectRel(clusteredStderr(xs, cl), millerLiteral(xs, cl), 1e-14);
    expect(clusteredStderr(xs, cl)!).toBeGreaterThan(clusteredStderr(xs, ['1', '2', '3', '4', '5', '6'])!);
  });

  it('matches the literal formula on real MMLU-Redux data, clustered by subject', () => {
    for (const [, items] of [...byModel()].slice(0, 3)) {
      const values: number[] = [];
      const clusters: string[] = [];
      for (const [id, v] of items) {
        if (v === null) continue;
        values.push(v);
        clusters.push(id.split('/')[0]!);
      }
      expectRel(clusteredStderr(values, clusters), millerLiteral(values, clusters), 1e-11);
    }
  });

  it('rejects mismatched lengths', () => expect(() => clusteredStderr([1, 2], ['a'])).toThrow(RangeError));
});

describe('resampledStderr', () => {
  it('averages per item first, every item weighs 1', () => {
    const r = resampledStderr([[1, 1, 0, 0], [1], [0, 0], []]);
    // item means 0.5, 1, 0 → mean 0.5, sd 0.5, se 0.5/√3
    expect(r.items).toBe(3);
    expectRel(r.mean, 0.5, 1e-15);
    expectRel(r.stderr, 0.5 / Math.sqrt(3), 1e-14);
  });

  it('edge cases', () => {
    expect(resampledStderr([])).toEqual({ items: 0, mean: null, stderr: null });
    expect(resampledStderr([[1, 0]])).toEqual({ items: 1, mean: 0.5, stderr: null });
  });
});
