import type { BenchItem } from '../benchmarks/types.ts';
import { type Normalization, normalizeAnswer } from './normalize.ts';
import { type Scorer, unscored, verdict } from './types.ts';

/**
 * Exact match after normalization (default SQuAD's: case, punctuation, articles, whitespace).
 * With `pattern`, the answer is group 1 of the pattern's last match (no match: unscored);
 * otherwise the whole response. An empty answer is unscored.
 */
export function exactMatchScorer(config: { normalize: Normalization; pattern?: string | undefined }): Scorer {
  const re = config.pattern === undefined ? null : new RegExp(config.pattern, 'g');
  return {
    async score(response: string, item: BenchItem) {
      let answer: string | null = response;
      if (re) {
        answer = null;
        for (const m of response.matchAll(re)) answer = m[1] ?? m[0];
      }
      if (answer === null || answer.trim() === '') return unscored();
      const a = answer.trim();
      return verdict(
        normalizeAnswer(a, config.normalize) === normalizeAnswer(item.reference, config.normalize),
        a,
      );
    },
  };
}
