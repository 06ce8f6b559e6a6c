import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TRENDS_DATE, trends } from '../compare/trends.ts';
import type { AppContext } from '../context.ts';

const Query = z.strictObject({
  benchmark: z.string().min(1).max(191),
  model_prefix: z.string().min(1).max(191).optional().describe('models whose name starts with this'),
  models: z.string().min(1).max(20_000).optional().describe('comma-separated model names'),
  engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
});

export async function trendRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/trends',
    {
      schema: {
        summary: 'Accuracy per run over time with stderr, for a model family or list',
        description: `Each point has date, date_source, evaluated_at and created_at: ${TRENDS_DATE}.`,
        querystring: Query,
      },
    },
    async (req) =>
      trends(ctx.analysis, {
        ...req.query,
        models: req.query.models?.split(',').map((m) => m.trim()),
      }),
  );
}
