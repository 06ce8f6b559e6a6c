import { bleuScorer } from './bleu.ts';
import { type ScorerConfig, type ScorerConfigInput, ScorerConfigSchema } from './config.ts';
import { exactMatchScorer } from './exact-match.ts';
import { judgeScorer } from './judge.ts';
import { mathScorer } from './math.ts';
import { multipleChoiceScorer } from './multiple-choice.ts';
import { numericScorer } from './numeric.ts';
import { regexScorer } from './regex.ts';
import { rougeLScorer } from './rouge-l.ts';
import type { Scorer } from './types.ts';

export type { ScorerConfig, ScorerConfigInput } from './config.ts';
export type { ScoreContext, ScoreResult, Scorer } from './types.ts';

/** The scorer for a config (as in benchmark.yaml; defaults are filled in, bad settings throw a ZodError). */
export function createScorer(input: ScorerConfigInput | ScorerConfig): Scorer {
  const config = ScorerConfigSchema.parse(input);
  switch (config.type) {
    case 'multiple_choice':
      return multipleChoiceScorer(config);
    case 'exact_match':
      return exactMatchScorer(config);
    case 'numeric':
      return numericScorer(config);
    case 'math':
      return mathScorer(config);
    case 'regex':
      return regexScorer(config);
    case 'bleu':
      return bleuScorer(config);
    case 'rouge_l':
      return rougeLScorer(config);
    case 'judge':
      return judgeScorer(config);
    default: {
      const never: never = config;
      throw new Error(`unknown scorer ${JSON.stringify(never)}`);
    }
  }
}
