import type { BenchItem } from '../benchmarks/types.ts';
import { lcsLength, rougeTokens } from './rouge.ts';
import { type Scorer, unscored } from './types.ts';

/**
 * ROUGE-L with an F_β: precision = LCS/|hyp|, recall = LCS/|ref|, F_β = (1+β²)PR / (R + β²P), on
 * rouge-score's tokens. With β = 1 it is rouge-score's rougeL F-measure (the `rouge` scorer adds
 * ROUGE-1/2 and the stemmer).
 */
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
