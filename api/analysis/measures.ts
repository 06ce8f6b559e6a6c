import { z } from 'zod';
import { MEASURE_NAMES, MEASURES, type Measure, measure } from './measure-catalog.ts';

/** The catalogue itself (measure-catalog.ts, free of zod for the dashboards' bundle) and its zod schemas. */
export * from './measure-catalog.ts';

/** The request's `measures`: names of the catalogue; unknown names are a 400 that lists the valid ones. */
export const MeasuresParam = z
  .array(z.enum(MEASURE_NAMES))
  .min(1)
  .max(MEASURE_NAMES.length)
  .optional()
  .describe(
    `the measures to report (default: all): ${MEASURE_NAMES.join(', ')}. Leaving out quantiles saves their cost`,
  );

const nullable = <T extends z.ZodType>(t: T) => t.nullable();
const estimate = z.object({
  n: z.number(),
  value: z.number().nullable(),
  stderr: z.number().nullable(),
  too_few_samples: z.number().optional(),
});

/** The zod type of one measure's value in an answer row. */
export function measureSchema(m: Measure): z.ZodType {
  switch (m.type) {
    case 'count':
      return z.number().int().describe(m.description);
    case 'number':
      return nullable(z.number()).describe(m.description);
    case 'interval':
      return nullable(z.tuple([z.number(), z.number()])).describe(m.description);
    case 'estimates':
      return estimate.describe(m.description);
  }
}

/** One answer row of POST /analysis, as the catalogue declares it (every measure optional: `measures` picks). */
export function analysisRowSchema(): z.ZodType {
  const shape: Record<string, z.ZodType> = {
    model: z.string(),
    groups: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  };
  for (const name of MEASURE_NAMES) {
    const m = measure(name);
    if (m.kind !== 'estimator') shape[name] = measureSchema(m).optional();
  }
  const est = MEASURES['pass@k'];
  return z
    .object(shape)
    .catchall(estimate.describe(`pass@<k> / maj@<k>: ${est.description}`))
    .describe('one row per model and group');
}

const groupTotals = (extra: Record<string, z.ZodType>) =>
  z.object({ n: z.number().int(), accuracy: z.number().nullable(), stderr: z.number().nullable(), ...extra });

/** The answer of POST /analysis (JSON), its rows from the catalogue. */
export const AnalysisResponseSchema = z.object({
  benchmark: z.string(),
  levels: z.array(z.string()),
  unscored: z.enum(['exclude', 'wrong']),
  rows: z.array(analysisRowSchema()),
  totals: z
    .array(
      z.object({
        model: z.string(),
        micro: groupTotals({}).describe('every item weighs 1'),
        macro: groupTotals({ groups: z.number().int() }).describe(
          "unweighted mean of the Level1 groups' accuracies",
        ),
      }),
    )
    .describe(`per model; rolls up ${MEASURE_NAMES.filter((n) => measure(n).totals !== 'none').join(', ')}`),
  excluded: z.number().int().describe('results left out because a level field was NULL for their item'),
  meta: z.object({
    engine: z.enum(['duckdb', 'mysql']),
    elapsed_ms: z.number(),
    data_version: z.string(),
    cached: z.boolean(),
    row_count: z.number().int(),
    stderr_method: z.string(),
    totals_method: z.string(),
  }),
});
