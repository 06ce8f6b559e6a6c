import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored, verdict } from './types.ts';

/**
 * contains / starts_with: the response holds (or, leading spaces aside, begins with) one of the
 * configured texts, by default the item's reference. Case-insensitive unless `case_sensitive`.
 */
export function textMatchScorer(config: {
  type: 'contains' | 'starts_with';
  text?: string | string[] | undefined;
  case_sensitive: boolean;
}): Scorer {
  const fold = (s: string) => (config.case_sensitive ? s : s.toLowerCase());
  return {
    async score(response: string, item: BenchItem) {
      const answer = response.trim();
      if (answer === '') return unscored();
      const wanted = config.text === undefined ? [item.reference] : [config.text].flat();
      const hay = fold(answer);
      const ok = wanted.some((w) =>
        config.type === 'contains' ? hay.includes(fold(w)) : hay.startsWith(fold(w).trimStart()),
      );
      return verdict(ok, answer);
    },
  };
}
