import { z } from 'zod';

/**
 * Scorer settings as written under `scorer:` in a benchmark.yaml. One variant per scorer type;
 * unknown keys are rejected so a typo ("treshold") is an error, not a silent default.
 */
const normalize = z.enum(['squad', 'trim', 'none']);

export const ScorerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('multiple_choice'),
    /** The item variable holding the options (an array); its length sets the valid letters. */
    choices: z.string().default('choices'),
  }),
  z.strictObject({
    type: z.literal('exact_match'),
    normalize: normalize.default('squad'),
    /** Optional regex whose group 1 (last match) is taken as the answer before comparing. */
    pattern: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('numeric'),
    /** Absolute tolerance; 0 means exact (AIME). */
    tolerance: z.number().nonnegative().default(0),
  }),
  z.strictObject({
    type: z.literal('math'),
    /** Relative tolerance for answers that are both plain numbers. */
    tolerance: z.number().nonnegative().default(1e-4),
  }),
  z.strictObject({
    type: z.literal('regex'),
    pattern: z.string(),
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags may only use i, m, s, u')
      .default(''),
    group: z.union([z.number().int().nonnegative(), z.string()]).default(1),
    /** Which match counts when the pattern matches several times. */
    match: z.enum(['first', 'last']).default('last'),
    normalize: normalize.default('squad'),
  }),
  z.strictObject({
    type: z.literal('bleu'),
    /** Sentence BLEU in [0, 1] at or above which the answer counts as correct. */
    threshold: z.number().min(0).max(1).default(0.5),
  }),
  z.strictObject({
    type: z.literal('rouge_l'),
    threshold: z.number().min(0).max(1).default(0.5),
    /** F-measure weight of recall over precision (1 = F1). */
    beta: z.number().positive().default(1),
  }),
  z.strictObject({
    type: z.literal('judge'),
    /** Prompt for the judge with {{question}}, {{reference}}, {{response}}; a default grader prompt if absent. */
    rubric: z.string().optional(),
    /** The item variable shown to the judge as {{question}}. */
    question: z.string().default('question'),
  }),
]);

/** A scorer configuration after defaults are applied. */
export type ScorerConfig = z.output<typeof ScorerConfigSchema>;
/** A scorer configuration as written (defaults optional). */
export type ScorerConfigInput = z.input<typeof ScorerConfigSchema>;
export type ScorerType = ScorerConfig['type'];
