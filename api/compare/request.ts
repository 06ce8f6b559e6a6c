import { z } from 'zod';
import { checkLevels, FIELD_NAME, MAX_LEVELS, SELECTION } from '../analysis/request.ts';

const name = z.string().min(1).max(191);

/** Gate 1 for /compare: the shape of the request. Unknown properties are rejected; nothing is coerced. */
export const CompareRequest = z
  .strictObject({
    benchmark: SELECTION.benchmark,
    models: z
      .array(name)
      .min(2)
      .max(100)
      .describe('two models (A, B: diff = A − B), or several with `baseline` naming one of them'),
    baseline: name
      .optional()
      .describe('the model every other model is compared with (diff = model − baseline)'),
    levels: z
      .array(FIELD_NAME)
      .max(MAX_LEVELS)
      .optional()
      .describe('0 to 3 metadata fields, outermost first (default: none, the overall comparison only)'),
    level1: FIELD_NAME.optional(),
    level2: FIELD_NAME.optional(),
    level3: FIELD_NAME.optional(),
    runs: z
      .array(z.union([z.number().int().positive(), name]))
      .min(1)
      .max(1000)
      .optional()
      .describe('run ids or run labels (default: all runs of the models on the benchmark)'),
    filters: SELECTION.filters,
    metric: z
      .enum(['accuracy', 'score'])
      .default('accuracy')
      .describe('compare correctness (accuracy) or the numeric score (mean per item)'),
    correction: z.enum(['holm', 'bh', 'none']).default('holm').describe('multiple-testing correction'),
    alpha: z.number().gt(0).lt(1).default(0.05).describe('significance level for `significant` and power'),
    bayes: z
      .boolean()
      .default(true)
      .describe('compute the Bayesian A/B per row (1 to 10 ms a row; false for very many groups)'),
    engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
    unscored: z
      .enum(['exclude', 'wrong'])
      .default('exclude')
      .describe(
        'unscored answers leave the item mean (exclude) or count as incorrect (wrong); errors never count',
      ),
  })
  .superRefine((r, ctx) => {
    checkLevels(r, ctx);
    if (new Set(r.models).size !== r.models.length) {
      ctx.addIssue({ code: 'custom', message: 'models repeat a name', path: ['models'] });
    }
    if (r.baseline !== undefined && !r.models.includes(r.baseline)) {
      ctx.addIssue({
        code: 'custom',
        message: `baseline "${r.baseline}" is not among models (${r.models.join(', ')})`,
        path: ['baseline'],
      });
    }
    if (r.models.length > 2 && r.baseline === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'with more than two models, name one of them as baseline',
        path: ['baseline'],
      });
    }
  });

export type CompareRequest = z.infer<typeof CompareRequest>;

/** Gate 1 for POST /compare/items: the items that separate two models, over /compare's selection fields. */
export const SeparatingRequest = z
  .strictObject({
    benchmark: SELECTION.benchmark,
    models: z.array(name).length(2).describe('A and B, as /compare takes two models'),
    side: z
      .enum(['a', 'b'])
      .describe("a: items A gets right and B wrong (A's item value above B's); b: the reverse"),
    runs: SELECTION.runs,
    filters: SELECTION.filters,
    unscored: z
      .enum(['exclude', 'wrong'])
      .default('exclude')
      .describe('unscored answers leave the item value (exclude) or count as incorrect (wrong)'),
    limit: z.number().int().min(1).max(1000).default(50),
    offset: z.number().int().min(0).default(0),
    engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
  })
  .superRefine((r, ctx) => {
    if (r.models[0] === r.models[1]) {
      ctx.addIssue({ code: 'custom', message: 'models repeat a name', path: ['models'] });
    }
  });

export type SeparatingRequest = z.infer<typeof SeparatingRequest>;
