import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.ts';
import { TRENDS_DATE, trends } from '../compare/trends.ts';
import { modelList, modelsParam, problems } from './schemas.ts';

const Query = z.strictObject({
  benchmark: z.string().min(1).max(191),
  model_prefix: z.string().min(1).max(191).optional().describe('models whose name starts with this'),
  models: modelsParam('every model, or those model_prefix names'),
  engine: z.enum(['duckdb', 'mysql']).default('duckdb'),
});

const TrendPoint = z.looseObject({
  run_id: z.number().int(),
  label: z.string(),
  date: z.string().describe(TRENDS_DATE),
  date_source: z.enum(['evaluated_at', 'created_at']),
  evaluated_at: z.string().nullable(),
  created_at: z.string(),
  model: z.string(),
  source: z.string(),
  status: z.string(),
  n_items: z.number().int(),
  accuracy: z.number().nullable(),
  stderr: z.number().nullable(),
});
const Trends = z.looseObject({
  benchmark: z.string(),
  points: z.array(TrendPoint).describe('oldest first'),
  meta: z.looseObject({
    engine: z.enum(['duckdb', 'mysql']),
    elapsed_ms: z.number(),
    data_version: z.string(),
    ordered_by: z.string(),
  }),
});

export async function trendRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/trends',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Accuracy per run over time with stderr, for a model family or list',
        description: `Each point has date, date_source, evaluated_at and created_at: ${TRENDS_DATE}.`,
        querystring: Query,
        response: { 200: Trends, ...problems(400, 404) },
      },
    },
    async (req) =>
      trends((await scope(req)).analysis, {
        ...req.query,
        models: modelList(req.query.models),
      }),
  );
}
