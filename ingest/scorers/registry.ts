import { bleuScorer } from './bleu.ts';
import { allAnyScorer, weightedScorer } from './composite.ts';
import { type ScorerConfig, type ScorerConfigInput, ScorerConfigSchema } from './config.ts';
import { textMatchScorer } from './contains.ts';
import { exactMatchScorer } from './exact-match.ts';
import { jsonSchemaScorer } from './json-schema.ts';
import { judgeScorer } from './judge.ts';
import { mathScorer } from './math.ts';
import { multipleChoiceScorer } from './multiple-choice.ts';
import { numericScorer } from './numeric.ts';
import { regexScorer } from './regex.ts';
import { rougeScorer } from './rouge.ts';
import { rougeLScorer } from './rouge-l.ts';
import { semanticScorer } from './semantic.ts';
import type { Scorer } from './types.ts';

export type { ScorerConfig, ScorerConfigInput } from './config.ts';
export { scorerTypes } from './config.ts';
export type { EmbeddingModelRef, ScoreContext, ScoreResult, Scorer } from './types.ts';

function build(config: ScorerConfig): Scorer {
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
    case 'contains':
    case 'starts_with':
      return textMatchScorer(config);
    case 'json_schema':
      return jsonSchemaScorer(config);
    case 'bleu':
      return bleuScorer(config);
    case 'rouge':
      return rougeScorer(config);
    case 'rouge_l':
      return rougeLScorer(config);
    case 'judge':
      return judgeScorer(config);
    case 'semantic':
      return semanticScorer(config);
    case 'all':
    case 'any':
      return allAnyScorer(config.type, config.of.map(build));
    case 'weighted':
      return weightedScorer(
        config.of.map((p) => ({ scorer: build(p.scorer), weight: p.weight })),
        config.threshold,
      );
    default: {
      const never: never = config;
      throw new Error(`unknown scorer ${JSON.stringify(never)}`);
    }
  }
}

/** The scorer for a config (as in benchmark.yaml; defaults are filled in, bad settings throw a ZodError). */
export function createScorer(input: ScorerConfigInput | ScorerConfig): Scorer {
  return build(ScorerConfigSchema.parse(input));
}
