import { z } from 'zod';
import { checkLevels, FIELD_NAME, MAX_LEVELS, SELECTION } from '../analysis/request.ts';

const name = z.string().min(1).max(191);

/** Gate 1 for /compare: the shape of the request. Unknown properties are rejected; nothing is coerced. */
export const CompareRequest = z
  .strictObject({
    benchmark: SELECTION.benchmark
      .optional()
      .describe('benchmark slug (required with models; with runs or prompt_versions, taken from the runs)'),
    models: z
      .array(name)
      .min(2)
      .max(100)
      .optional()
      .describe(
        'two models (A, B: diff = A − B), or several with `baseline` naming one of them; ' +
          'exactly one of models, runs (without models) and prompt_versions',
      ),
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
      .describe(
        'with models: run ids or labels narrowing their runs (default: all of them). Without models: the arms ' +
          'of an A/B test, two or more runs of one benchmark (ids, or labels naming one run each); the first is ' +
          'the baseline A, every other is compared with it (diff = run − first)',
      ),
    prompt_versions: z
      .array(z.string().regex(/^[^@]{1,191}@[1-9][0-9]{0,8}$/, 'a prompt version is written name@number'))
      .min(2)
      .max(20)
      .optional()
      .describe(
        'the arms of an A/B test of stored prompt versions, "name@3": each resolves to the one run made with ' +
          'it (on `benchmark`, by `model`, when given); the first is the baseline',
      ),
    model: name
      .optional()
      .describe('with prompt_versions: the model whose runs the versions resolve to (when several have one)'),
    target_difference: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.05)
      .describe('the accuracy difference the paired sample-size check asks about (n needed at 80 % power)'),
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
    if (r.prompt_versions !== undefined) {
      if (r.models !== undefined || r.runs !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            'give exactly one of models, runs and prompt_versions (prompt_versions resolve to the runs)',
          path: ['prompt_versions'],
        });
      }
      if (new Set(r.prompt_versions).size !== r.prompt_versions.length) {
        ctx.addIssue({
          code: 'custom',
          message: 'prompt_versions repeat a version',
          path: ['prompt_versions'],
        });
      }
    } else if (r.model !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'model goes with prompt_versions only', path: ['model'] });
    }
    if (r.models === undefined) {
      if (r.baseline !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'baseline names a model; with runs or prompt_versions the first arm is the baseline',
          path: ['baseline'],
        });
      }
      if (r.prompt_versions === undefined) {
        if (r.runs === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: 'give models (with a benchmark), runs or prompt_versions',
            path: ['models'],
          });
        } else if (r.runs.length < 2) {
          ctx.addIssue({
            code: 'custom',
            message: `an A/B test of runs needs at least two runs, got ${r.runs.length}`,
            path: ['runs'],
          });
        } else if (new Set(r.runs).size !== r.runs.length) {
          ctx.addIssue({ code: 'custom', message: 'runs repeat a run', path: ['runs'] });
        }
      }
      return;
    }
    if (r.benchmark === undefined) {
      ctx.addIssue({ code: 'custom', message: 'models need a benchmark', path: ['benchmark'] });
    }
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
