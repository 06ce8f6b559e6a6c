import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetaValueSchema } from '../../core/types.ts';
import { FIELD_NAME } from '../analysis/request.ts';
import type { RouteOptions } from '../app.ts';
import { analyzeItems } from '../compare/items.ts';
import { modelList, modelsParam, problems } from './schemas.ts';

const Params = z.strictObject({ benchmark: z.string().min(1).max(191) });
export const ItemsQuery = z.strictObject({
  models: modelsParam('every model with results'),
  min_models: z.coerce.number().int().min(1).max(10_000).default(1),
  by: FIELD_NAME.optional().describe('a metadata field: how flagged items distribute over its values'),
  flag: z.enum(['all_fail', 'all_pass', 'inverted']).optional().describe('only items with this flag'),
  sort: z
    .enum(['discrimination', 'difficulty', 'split', 'item'])
    .default('discrimination')
    .describe(
      'ascending; discrimination first shows the likely mislabeled items; split: |difficulty − ½|, the items models disagree on most first',
    ),
  limit: z.coerce.number().int().min(1).max(5000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
});

const Flag = z.enum(['all_fail', 'all_pass', 'inverted']);
const nullableNumber = z.number().nullable();
const ItemsAnswer = z.looseObject({
  benchmark: z.string(),
  models: z.array(
    z.looseObject({
      model: z.string(),
      n_items: z.number().int(),
      accuracy: nullableNumber,
      ability: nullableNumber.describe('Rasch ability (logits)'),
      ability_se: nullableNumber,
      excluded_reason: z
        .enum(['no_data', 'all_correct', 'all_wrong'])
        .nullable()
        .describe('why Rasch left it out'),
    }),
  ),
  total_items: z.number().int(),
  matching_items: z.number().int(),
  flagged: z.record(z.string(), z.number().int()).describe('items per flag: all_fail, all_pass, inverted'),
  by: z
    .looseObject({
      field: z.string(),
      groups: z.array(
        z.looseObject({
          value: MetaValueSchema,
          items: z.number().int(),
          suspect: z.number().int().describe('all_fail or inverted items'),
          suspect_share: z.number(),
          all_fail: z.number().int(),
          all_pass: z.number().int(),
          inverted: z.number().int(),
        }),
      ),
    })
    .nullable(),
  limit: z.number().int(),
  offset: z.number().int(),
  // exactly ItemRow's fields (api/compare/items.ts): an object schema of its own, so nothing is stripped
  items: z.array(
    z.object({
      item: z.string(),
      n_models: z.number().int(),
      difficulty: nullableNumber.describe('share of models right'),
      discrimination: nullableNumber.describe('corrected item–total point-biserial'),
      rasch_difficulty: nullableNumber,
      rasch_difficulty_se: nullableNumber,
      flags: z.array(Flag),
      metadata: z.record(z.string(), MetaValueSchema),
    }),
  ),
  rasch: z.looseObject({
    converged: z.boolean(),
    iterations: z.number().int(),
    excluded_items: z.number().int(),
  }),
  meta: z.looseObject({
    engine: z.enum(['duckdb', 'mysql']),
    elapsed_ms: z.number(),
    data_version: z.string(),
    method: z.string(),
  }),
});

export async function itemRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/benchmarks/:benchmark/items/analysis',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Per item: difficulty, discrimination, flags and metadata; Rasch abilities per model',
        params: Params,
        querystring: ItemsQuery,
        response: { 200: ItemsAnswer, ...problems(400, 404) },
      },
    },
    async (req) =>
      analyzeItems((await scope(req)).analysis, {
        ...req.query,
        benchmark: req.params.benchmark,
        models: modelList(req.query.models),
      }),
  );
}
