import type { BenchItem } from '../benchmarks/types.ts';
import { type Normalization, normalizeAnswer } from './normalize.ts';
import { type Scorer, unscored, verdict } from './types.ts';

/** The configured pattern's group (number or name) from its first or last match, compared to the reference after normalization. */
export function regexScorer(config: {
  pattern: string;
  flags: string;
  group: number | string;
  match: 'first' | 'last';
  normalize: Normalization;
}): Scorer {
  const re = new RegExp(config.pattern, `${config.flags}g`);
  return {
    async score(response: string, item: BenchItem) {
      let answer: string | null = null;
      for (const m of response.matchAll(re)) {
        const g = typeof config.group === 'number' ? m[config.group] : m.groups?.[config.group];
        if (g === undefined) continue;
        answer = g;
        if (config.match === 'first') break;
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
