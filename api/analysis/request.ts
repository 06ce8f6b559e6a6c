import { z } from 'zod';
import { NAME } from '../../core/names.ts';
import { MeasuresParam } from './measures.ts';

export const MAX_LEVELS = 3;
/** A field name: the one rule for names (core/names.ts), which the import gate applies too. */
export const FIELD_NAME = NAME;
const filterValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The fields that select stored results, as every read request that takes them declares them (/analysis,
 * /compare's runs and filters, the results export): benchmark, models, runs, filters.
 */
export const SELECTION = {
  benchmark: z.string().min(1).max(191).describe('benchmark slug'),
  models: z
    .array(z.string().min(1).max(191))
    .min(1)
    .max(1000)
    .optional()
    .describe('model names (default: all)'),
  runs: z
    .array(z.union([z.number().int().positive(), z.string().min(1).max(191)]))
    .min(1)
    .max(1000)
    .optional()
    .describe('run ids or run labels (default: all runs of the benchmark)'),
  filters: z
    .record(FIELD_NAME, z.array(filterValue).min(1).max(1000))
    .optional()
    .describe("field → allowed values (values of the field's type)"),
};

/** Gate 1: the shape of an analysis request. Unknown properties are rejected; nothing is coerced. */
export const AnalysisRequest = z
  .strictObject({
    benchmark: SELECTION.benchmark,
    levels: z
      .array(FIELD_NAME)
      .max(MAX_LEVELS)
      .optional()
      .describe(
        '0 to 3 metadata fields, outermost first, or run dimensions (prompt, prompt_version); [] gives one row per model (groups {})',
      ),
    level1: FIELD_NAME.optional(),
    level2: FIELD_NAME.optional(),
    level3: FIELD_NAME.optional(),
    models: SELECTION.models,
    runs: SELECTION.runs,
    prompt_versions: z
      .array(z.union([z.number().int().positive(), z.string().regex(/^.+@\d+$/, 'NAME@VERSION')]))
      .min(1)
      .max(1000)
      .optional()
      .describe('stored prompt versions (3, or NAME@3): only the runs made with them'),
    filters: SELECTION.filters,
    engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
    unscored: z
      .enum(['exclude', 'wrong'])
      .default('exclude')
      .describe('unscored answers leave n (exclude) or count as incorrect (wrong); errors never count'),
    pass_at: z
      .array(z.number().int().min(1).max(1000))
      .min(1)
      .max(10)
      .optional()
      .describe('k values for pass@k'),
    maj_at: z
      .array(z.number().int().min(1).max(1000))
      .min(1)
      .max(10)
      .optional()
      .describe('k values for maj@k'),
    measures: MeasuresParam,
  })
  .superRefine((r, ctx) => {
    checkLevels(r, ctx);
    if (!r.levels && r.level1 === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'levels (0 to 3 field names; [] for one row per model) or level1 is required',
        path: ['levels'],
      });
    }
  });

type LevelShape = {
  levels?: string[] | undefined;
  level1?: string | undefined;
  level2?: string | undefined;
  level3?: string | undefined;
};

/** The rules of the level fields that /analysis and /compare share: long or short form, short form in order. */
export function checkLevels(r: LevelShape, ctx: z.RefinementCtx): void {
  if (r.levels && [r.level1, r.level2, r.level3].some((s) => s !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'give either levels or level1/level2/level3, not both',
      path: ['levels'],
    });
  }
  if (r.level2 !== undefined && r.level1 === undefined) {
    ctx.addIssue({ code: 'custom', message: 'level2 needs level1', path: ['level2'] });
  }
  if (r.level3 !== undefined && r.level2 === undefined) {
    ctx.addIssue({ code: 'custom', message: 'level3 needs level2', path: ['level3'] });
  }
}

export type AnalysisRequest = z.infer<typeof AnalysisRequest>;

/** The ordered level names of a request (long or short form). */
export function levelNames(r: Pick<AnalysisRequest, 'levels' | 'level1' | 'level2' | 'level3'>): string[] {
  if (r.levels) return r.levels;
  return [r.level1, r.level2, r.level3].filter((x): x is string => x !== undefined);
}
