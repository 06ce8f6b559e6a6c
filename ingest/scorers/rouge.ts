import type { BenchItem } from '../benchmarks/types.ts';
import { porterStem } from './porter-stemmer.ts';
import { type Scorer, unscored } from './types.ts';

/**
 * ROUGE-N and ROUGE-L as Google's `rouge-score` (rouge_scorer.RougeScorer) computes them, checked against
 * it in rouge.test.ts. Sentence-level ROUGE-L (not rougeLsum); the target is the reference.
 */

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeType = 'rouge1' | 'rouge2' | 'rougeL';

/**
 * rouge-score's DefaultTokenizer: lower case, every run of characters other than a–z, 0–9 becomes one
 * space (so "café" is "caf"), split; with `stem`, tokens longer than 3 letters go through NLTK's Porter
 * stemmer.
 */
export function rougeTokens(text: string, stem = false): string[] {
  const tokens = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter(Boolean);
  return stem ? tokens.map((t) => (t.length > 3 ? porterStem(t) : t)) : tokens;
}

/** rouge-score's scoring.fmeasure: the harmonic mean, 0 when both are 0. */
function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join(' ');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** ROUGE-N: clipped n-gram overlap over the prediction's (precision) and the target's (recall) n-grams. */
export function rougeNFromTokens(target: string[], prediction: string[], n: number): RougeScore {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  for (const [k, c] of t) overlap += Math.min(c, p.get(k) ?? 0);
  const tCount = Math.max(0, target.length - n + 1);
  const pCount = Math.max(0, prediction.length - n + 1);
  // rouge-score divides by max(count, 1): no n-grams at all gives 0, not NaN.
  const precision = overlap / Math.max(pCount, 1);
  const recall = overlap / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

export function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]!;
}

/** ROUGE-L: LCS over the prediction's length (precision) and the target's (recall). */
export function rougeLFromTokens(target: string[], prediction: string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** `RougeScorer([type], use_stemmer=stem).score(target, prediction)[type]`. */
export function rouge(type: RougeType, target: string, prediction: string, stem = false): RougeScore {
  const t = rougeTokens(target, stem);
  const p = rougeTokens(prediction, stem);
  if (type === 'rougeL') return rougeLFromTokens(t, p);
  return rougeNFromTokens(t, p, type === 'rouge1' ? 1 : 2);
}

/** Free text scored by one ROUGE figure against the reference; correct when it is ≥ threshold. */
export function rougeScorer(config: {
  variant: RougeType;
  stemmer: boolean;
  measure: keyof RougeScore;
  threshold: number;
}): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const answer = response.trim();
      if (answer === '') return unscored();
      const score = rouge(config.variant, item.reference, answer, config.stemmer)[config.measure];
      const ok = score >= config.threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
