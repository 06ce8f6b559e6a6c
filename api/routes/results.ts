import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MetaValueSchema, OUTCOMES } from '../../core/types.ts';
import { ANSWER_COLUMNS, readItemResults } from '../../store/item-results.ts';
import type { Column } from '../../store/schema.ts';
import type { RouteOptions } from '../app.ts';
import { modelList, modelsParam, problems } from './schemas.ts';

const Params = z.strictObject({
  benchmark: z.string().min(1).max(191),
  item: z.string().min(1).max(191).describe("the item's id (URL-encoded: abstract_algebra%2F0)"),
});
const Query = z.strictObject({
  models: modelsParam('every model with a run of the benchmark'),
  sample: z.coerce.number().int().min(0).optional().describe('only this sample index'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  max_chars: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(20_000)
    .describe('longer responses and inputs are cut to this many characters (response_truncated says so)'),
});

const nullableNumber = z.number().nullable();

/** A result column's answer schema, from its declaration (store/schema.ts) as readItemResults gives it. */
function answerSchema(c: Column): z.ZodType {
  const base =
    c.name === 'outcome'
      ? z.enum(OUTCOMES)
      : c.duckdb === 'BOOLEAN'
        ? z.boolean()
        : c.duckdb === 'VARCHAR' || c.duckdb === 'JSON' || c.duckdb === 'TIMESTAMP'
          ? z.string()
          : c.duckdb === 'DOUBLE'
            ? z.number()
            : z.number().int();
  const schema = c.nullable || c.mysqlNullable ? base.nullable() : base;
  return c.description ? schema.describe(c.description) : schema;
}

const StoredResult = z.strictObject({
  model: z.string(),
  run: z.strictObject({ id: z.number().int(), label: z.string() }),
  ...Object.fromEntries(
    ANSWER_COLUMNS.flatMap((c): [string, z.ZodType][] =>
      c.name === 'response'
        ? [
            [c.name, answerSchema(c)],
            ['response_chars', nullableNumber],
            ['response_truncated', z.boolean()],
          ]
        : [[c.name, answerSchema(c)]],
    ),
  ),
});
const ItemResultsResponse = z.strictObject({
  benchmark: z.string(),
  item: z.strictObject({
    id: z.string(),
    input: z.string().nullable(),
    input_chars: nullableNumber,
    input_truncated: z.boolean(),
    reference: z.string().nullable(),
    metadata: z.record(z.string(), MetaValueSchema),
  }),
  results: z.array(StoredResult),
  total: z.number().int().describe('results matching, over all pages'),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable().describe('the offset of the next page, null on the last'),
});

/** GET /benchmarks/:benchmark/items/:item/results: what a dashboard's item view shows, from the store of record. */
export async function resultRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/benchmarks/:benchmark/items/:item/results',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          "One item's stored results: every model, run and sample, with response, answer, outcome, score, latency, tokens, error",
        description:
          "The item's input, reference and metadata, then its results ordered by model, run and sample; " +
          'paginated (limit, offset, next_offset). Read from the system of record (MySQL when configured).',
        params: Params,
        querystring: Query,
        response: { 200: ItemResultsResponse, ...problems(400, 404) },
      },
    },
    async (req) => {
      const ws = await scope(req);
      // MySQL mode: the response text is only in MySQL (the DuckDB mirror does not copy it)
      const engine = ws.analysis.engines.mysql ?? ws.duckEngine;
      return readItemResults((sql, params) => ws.analysis.run(engine, sql, params), {
        benchmark: req.params.benchmark,
        item: req.params.item,
        models: modelList(req.query.models),
        sample: req.query.sample,
        limit: req.query.limit,
        offset: req.query.offset,
        maxChars: req.query.max_chars,
      });
    },
  );
}
