import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored } from './types.ts';

/** rouge-score's default tokenizer: lower case, anything but a–z and 0–9 separates tokens. */
export function rougeTokens(s: string): string[] {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter(Boolean);
}

function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]!;
}

/** ROUGE-L: precision = LCS/|hyp|, recall = LCS/|ref|, F_β = (1+β²)PR / (R + β²P). */
export function rougeL(
  hypothesis: string,
  reference: string,
  beta = 1,
): { precision: number; recall: number; f: number } {
  const h = rougeTokens(hypothesis);
  const r = rougeTokens(reference);
  if (h.length === 0 || r.length === 0) return { precision: 0, recall: 0, f: 0 };
  const lcs = lcsLength(h, r);
  const precision = lcs / h.length;
  const recall = lcs / r.length;
  const f = lcs === 0 ? 0 : ((1 + beta ** 2) * precision * recall) / (recall + beta ** 2 * precision);
  return { precision, recall, f };
}

/** Free text scored by ROUGE-L F-measure; correct when F ≥ threshold. */
export function rougeLScorer(config: { threshold: number; beta: number }): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const answer = response.trim();
      if (answer === '') return unscored();
      const score = rougeL(answer, item.reference, config.beta).f;
      const ok = score >= config.threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
