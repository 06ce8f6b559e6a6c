import { meanStderr } from './stderr.ts';
import { type Binary, toBit } from './types.ts';

/** One sample of one item, in sample order: the extracted answer (null/'' when none) and whether it was right. */
export type VoteSample = { readonly answer: string | null | undefined; readonly correct: Binary };

export type MajAtKResult = {
  k: number;
  items: number;
  /** Items with fewer than k samples, counted apart (as for pass@k). */
  tooFewSamples: number;
  /** Items where none of the first k samples had an extracted answer (counted wrong, and included in `items`). */
  noVotes: number;
  value: number | null;
  stderr: number | null;
};

/**
 * maj@k of one item: majority vote over the answers of the first k samples (the sample budget is k).
 * Null/empty answers do not vote. A tie goes to the answer that appeared first. The item is right when the
 * winning answer's first sample is scored correct (an unscored winner counts wrong). No votes → 0.
 * Fewer than k samples → null.
 */
export function majAtKItem(samples: readonly VoteSample[], k: number): 0 | 1 | null {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (samples.length < k) return null;
  const votes = new Map<string, { count: number; first: number; correct: 0 | 1 }>();
  for (let i = 0; i < k; i++) {
    const s = samples[i]!;
    if (s.answer === null || s.answer === undefined || s.answer === '') continue;
    const v = votes.get(s.answer);
    if (v) v.count++;
    else votes.set(s.answer, { count: 1, first: i, correct: toBit(s.correct) ?? 0 });
  }
  let best: { count: number; first: number; correct: 0 | 1 } | undefined;
  for (const v of votes.values()) {
    if (!best || v.count > best.count || (v.count === best.count && v.first < best.first)) best = v;
  }
  return best ? best.correct : 0;
}

/** maj@k averaged over items with its stderr over items (sd/√items). */
export function majAtK(items: readonly (readonly VoteSample[])[], k: number): MajAtKResult {
  const values: number[] = [];
  let tooFew = 0;
  let noVotes = 0;
  for (const samples of items) {
    const v = majAtKItem(samples, k);
    if (v === null) {
      tooFew++;
      continue;
    }
    if (samples.slice(0, k).every((s) => s.answer === null || s.answer === undefined || s.answer === ''))
      noVotes++;
    values.push(v);
  }
  const value = values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  return { k, items: values.length, tooFewSamples: tooFew, noVotes, value, stderr: meanStderr(values) };
}
