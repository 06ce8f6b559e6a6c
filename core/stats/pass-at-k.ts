import { assertCount } from './types.ts';

/** One item: n samples of which c were correct; `count` items share this (n, c) when the input is a histogram. */
export type PassAtKInput = { readonly n: number; readonly c: number; readonly count?: number };

export type PassAtKResult = {
  k: number;
  /** Items with n ≥ k, the ones averaged (histogram counts summed). */
  items: number;
  /** Items with fewer than k samples: pass@k is undefined for them, so they are counted apart, not averaged. */
  tooFewSamples: number;
  value: number | null;
  stderr: number | null;
};

/**
 * Unbiased pass@k of one item (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1):
 * 1 − C(n−c, k)/C(n, k), computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i) (their numerically stable form).
 * n < k → null.
 */
export function passAtKItem(n: number, c: number, k: number): number | null {
  assertCount('n', n);
  assertCount('c', c);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (c > n) throw new RangeError(`c (${c}) exceeds n (${n})`);
  if (n < k) return null;
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/**
 * pass@k averaged over items, with the stderr over items (sample sd / √items, weighted by `count`).
 * Accepts a per-item list or a histogram {n, c, count} as SQL returns it; both give the same numbers.
 */
export function passAtK(items: readonly PassAtKInput[], k: number): PassAtKResult {
  let m = 0;
  let tooFew = 0;
  let sum = 0;
  const values: { v: number; w: number }[] = [];
  for (const it of items) {
    const w = it.count ?? 1;
    assertCount('count', w);
    if (w === 0) continue;
    const v = passAtKItem(it.n, it.c, k);
    if (v === null) {
      tooFew += w;
      continue;
    }
    m += w;
    sum += w * v;
    values.push({ v, w });
  }
  if (m === 0) return { k, items: 0, tooFewSamples: tooFew, value: null, stderr: null };
  const mean = sum / m;
  if (m < 2) return { k, items: m, tooFewSamples: tooFew, value: mean, stderr: null };
  let ss = 0;
  for (const { v, w } of values) ss += w * (v - mean) ** 2;
  return { k, items: m, tooFewSamples: tooFew, value: mean, stderr: Math.sqrt(ss / (m - 1) / m) };
}
