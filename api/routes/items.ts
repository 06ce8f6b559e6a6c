import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FIELD_NAME } from '../analysis/request.ts';
import { analyzeItems } from '../compare/items.ts';
import type { AppContext } from '../context.ts';

const Params = z.strictObject({ benchmark: z.string().min(1).max(191) });
const Query = z.strictObject({
  models: z
    .string()
    .min(1)
    .max(20_000)
    .optional()
    .describe('comma-separated model names (default: every model with results)'),
  min_models: z.coerce.number().int().min(1).max(10_000).default(1),
  by: FIELD_NAME.optional().describe('a metadata field: how flagged items distribute over its values'),
  flag: z.enum(['all_fail', 'all_pass', 'inverted']).optional().describe('only items with this flag'),
  sort: z
    .enum(['discrimination', 'difficulty', 'item'])
    .default('discrimination')
    .describe('ascending; discrimination first shows the likely mislabeled items'),
  limit: z.coerce.number().int().min(1).max(5000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
});

export async function itemRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/benchmarks/:benchmark/items/analysis',
    {
      schema: {
        summary: 'Per item: difficulty, discrimination, flags and metadata; Rasch abilities per model',
        params: Params,
        querystring: Query,
      },
    },
    async (req) =>
      analyzeItems(ctx.analysis, {
        ...req.query,
        benchmark: req.params.benchmark,
        models: req.query.models?.split(',').map((m) => m.trim()),
      }),
  );
}
