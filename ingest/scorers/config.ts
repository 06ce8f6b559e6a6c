import { z } from 'zod';
import { jsonSchemaProblem } from './json-schema.ts';

/**
 * Scorer settings as written under `scorer:` in a benchmark.yaml. One variant per scorer type;
 * unknown keys are rejected so a typo ("treshold") is an error, not a silent default. The composite
 * types (all, any, weighted) hold other scorers, so the schema is recursive and its types are written out.
 */
const normalize = z.enum(['squad', 'trim', 'none']);

/** Names of item variables (as in the benchmark's template). */
const variable = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an item variable name');

const regexSource = z.string().superRefine((p, ctx) => {
  try {
    new RegExp(p);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
  }
});

const LEAVES = [
  z.strictObject({
    type: z.literal('multiple_choice'),
    /** The item variable holding the options (an array); its length sets the valid letters. */
    choices: z.string().default('choices'),
  }),
  z.strictObject({
    type: z.literal('exact_match'),
    normalize: normalize.default('squad'),
    /** Optional regex whose group 1 (last match) is taken as the answer before comparing. */
    pattern: regexSource.optional(),
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
    pattern: regexSource,
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
    type: z.enum(['contains', 'starts_with']),
    /** The text(s) looked for; any one matching is enough. By default the item's reference. */
    text: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    case_sensitive: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('json_schema'),
    /** A JSON Schema (draft-07, or 2020-12 / 2019-09 by its $schema); compiled when the benchmark loads. */
    schema: z.record(z.string(), z.unknown()).superRefine((s, ctx) => {
      const problem = jsonSchemaProblem(s);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
  z.strictObject({
    type: z.literal('bleu'),
    /** Sentence BLEU in [0, 1] (sacreBLEU's score / 100) at or above which the answer counts as correct. */
    threshold: z.number().min(0).max(1).default(0.5),
    lowercase: z.boolean().default(false),
    /** Item variable holding several references (a list of strings); by default the item's reference. */
    references: variable.optional(),
  }),
  z.strictObject({
    type: z.literal('rouge'),
    /** rouge-score's rouge1, rouge2 or rougeL (sentence-level LCS). */
    variant: z.enum(['rouge1', 'rouge2', 'rougeL']).default('rougeL'),
    /** rouge-score's use_stemmer (NLTK's Porter stemmer on tokens longer than 3 letters). */
    stemmer: z.boolean().default(false),
    measure: z.enum(['fmeasure', 'precision', 'recall']).default('fmeasure'),
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
  z.strictObject({
    type: z.literal('semantic'),
    /**
     * The embeddings model: a models.yaml (registry) name, or an ad hoc `openai-compatible:<model id>`
     * with `base_url`. It must serve an OpenAI-compatible /v1/embeddings.
     */
    model: z.string().min(1),
    base_url: z.string().url().optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    /** Cosine similarity at or above which the answer counts as correct; the score is the raw cosine. */
    threshold: z.number().min(-1).max(1).default(0.8),
  }),
] as const;

const Leaf = z.discriminatedUnion('type', [...LEAVES]);
type LeafConfig = z.output<typeof Leaf>;
type LeafInput = z.input<typeof Leaf>;

/** A scorer configuration after defaults are applied. */
export type ScorerConfig =
  | LeafConfig
  | { type: 'all' | 'any'; of: ScorerConfig[] }
  | { type: 'weighted'; of: { scorer: ScorerConfig; weight: number }[]; threshold: number };
/** A scorer configuration as written (defaults optional). */
export type ScorerConfigInput =
  | LeafInput
  | { type: 'all' | 'any'; of: ScorerConfigInput[] }
  | { type: 'weighted'; of: { scorer: ScorerConfigInput; weight: number }[]; threshold?: number | undefined };
export type ScorerType = ScorerConfig['type'];

const parts = z.array(z.lazy(() => ScorerConfigSchema));

export const ScorerConfigSchema: z.ZodType<ScorerConfig, ScorerConfigInput> = z.discriminatedUnion('type', [
  ...LEAVES,
  z.strictObject({
    /** all: correct when every part is; any: when one is (an unscored part is "unknown"). */
    type: z.enum(['all', 'any']),
    of: parts.min(1, 'name at least one scorer'),
  }),
  z.strictObject({
    /** The weighted mean of the parts' scores (each clipped to [0, 1]; an unscored part counts 0). */
    type: z.literal('weighted'),
    of: z
      .array(z.strictObject({ scorer: z.lazy(() => ScorerConfigSchema), weight: z.number().positive() }))
      .min(1, 'name at least one scorer'),
    threshold: z.number().min(0).max(1).default(0.5),
  }),
]);

/** Every scorer type a configuration uses, composites' parts included. */
export function scorerTypes(c: ScorerConfig): Set<ScorerType> {
  const out = new Set<ScorerType>([c.type]);
  if (c.type === 'all' || c.type === 'any') for (const p of c.of) for (const t of scorerTypes(p)) out.add(t);
  if (c.type === 'weighted') for (const p of c.of) for (const t of scorerTypes(p.scorer)) out.add(t);
  return out;
}
