import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import type { MetaValue } from '../../core/types.ts';
import { MetaValueSchema } from '../../core/types.ts';
import { notGroupableReason } from '../../store/field-types.ts';
import { allFieldValues, nextLevelOptions } from '../analysis/metadata.ts';
import { FIELD_NAME } from '../analysis/request.ts';
import { resolveBenchmark, resolveField, resolveFilters } from '../analysis/resolve.ts';
import type { RouteOptions } from '../app.ts';
import type { AppContext } from '../context.ts';
import { problems } from './schemas.ts';

const Params = z.strictObject({ benchmark: z.string().min(1).max(191) });
const filterValue = z.union([z.string(), z.number(), z.boolean()]);
const OptionsBody = z
  .strictObject({
    level1: FIELD_NAME,
    level1_values: z.array(filterValue).min(1).max(1000).optional(),
    level2: FIELD_NAME.optional(),
    level2_values: z.array(filterValue).min(1).max(1000).optional(),
  })
  .refine((b) => b.level2_values === undefined || b.level2 !== undefined, {
    message: 'level2_values needs level2',
    path: ['level2_values'],
  });

const notGroupable = z.string().optional().describe('why the field cannot be a level (absent when it can)');
const Field = z.looseObject({
  name: z.string(),
  type: z.string(),
  label: z.string(),
  groupable: z.boolean(),
  reason: notGroupable,
});
// exactly FieldValues' fields (api/analysis/metadata.ts): an object schema of its own, so nothing is stripped
const FieldValues = z.object({
  name: z.string(),
  type: z.string(),
  label: z.string(),
  groupable: z.boolean(),
  reason: notGroupable,
  distinct: z.number().int().nullable(),
  nulls: z.number().int().nullable(),
  values: z
    .array(z.object({ value: MetaValueSchema, count: z.number().int() }))
    .describe('with item counts, most frequent first; capped says whether some were left out'),
  capped: z.boolean(),
});
const BenchmarkList = z.looseObject({
  benchmarks: z.array(
    z.looseObject({
      benchmark: z.string(),
      version: z.string(),
      task: z.string().nullable(),
      cluster_field: z.string().nullable(),
      items: z.number().int(),
      models: z.number().int().describe('models with results'),
      runs: z.number().int(),
      results: z.number().int(),
      model_names: z.array(z.string()),
      metadata: z.array(Field),
    }),
  ),
});
const Metadata = z.looseObject({ benchmark: z.string(), fields: z.array(FieldValues) });
const Options = z.looseObject({
  benchmark: z.string(),
  level: z.number().int().describe('the level these fields can fill'),
  chosen: z.array(z.looseObject({ field: z.string(), values: z.array(z.string()).nullable() })),
  fields: z.array(FieldValues),
});

export async function benchmarkRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const reader =
    (ctx: AppContext) =>
    <T>(sql: string, params: unknown[]) =>
      ctx.analysis.run<T>(ctx.duckEngine, sql, params);
  // the read endpoints' one data-version cache (with its in-flight sharing), keyed by endpoint and
  // request: the workspace's, as its analysis service is
  const cached = async <T>(ctx: AppContext, kind: string, req: unknown, fn: () => Promise<T>): Promise<T> =>
    (await ctx.analysis.cached(kind, req, fn)).value;

  r.get(
    '/benchmarks',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Benchmarks with item, model, run and result counts and metadata fields',
        response: { 200: BenchmarkList },
      },
    },
    async (req) => {
      const ctx = await scope(req);
      return cached(ctx, 'benchmarks', {}, async () => {
        const view = await ctx.analysis.catalog();
        const items = await reader(ctx)<{ benchmark_id: number; n: number }>(
          'SELECT benchmark_id, count(*) AS n FROM items GROUP BY benchmark_id',
          [],
        );
        const itemCount = new Map(items.map((i) => [Number(i.benchmark_id), Number(i.n)]));
        return {
          benchmarks: [...view.benchmarks.values()].map((b) => {
            const runs = view.runs.filter((x) => x.benchmarkId === b.id);
            return {
              benchmark: b.slug,
              version: b.version,
              task: b.task,
              cluster_field: b.clusterField,
              items: itemCount.get(b.id) ?? 0,
              models: new Set(runs.filter((x) => x.results > 0).map((x) => x.modelId)).size,
              runs: runs.length,
              results: runs.reduce((s, x) => s + x.results, 0),
              model_names: [...new Set(runs.map((x) => view.modelName.get(x.modelId)!))].sort(),
              metadata: b.fields.map((f) => {
                const reason = notGroupableReason(f);
                return {
                  name: f.name,
                  type: f.type,
                  label: f.label,
                  groupable: !reason,
                  ...(reason ? { reason } : {}),
                };
              }),
            };
          }),
        };
      });
    },
  );

  r.get(
    '/benchmarks/:benchmark/metadata',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Every metadata field with type, distinct and null counts, and its values with item counts',
        params: Params,
        response: { 200: Metadata, ...problems(400, 404) },
      },
    },
    async (req) => {
      const ctx = await scope(req);
      return cached(ctx, 'benchmark-metadata', req.params, async () => {
        const view = await ctx.analysis.catalog();
        const b = resolveBenchmark(view, req.params.benchmark);
        return { benchmark: b.slug, fields: await allFieldValues(reader(ctx), b) };
      });
    },
  );

  r.post(
    '/benchmarks/:benchmark/metadata/options',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          'Fields usable at the next level once level1 (and optionally its values, and level2) are chosen',
        params: Params,
        body: OptionsBody,
        response: { 200: Options, ...problems(400, 404) },
      },
    },
    async (req) => {
      const body = req.body;
      const ctx = await scope(req);
      return cached(ctx, 'benchmark-options', { ...req.params, body }, async () => {
        const view = await ctx.analysis.catalog();
        const b = resolveBenchmark(view, req.params.benchmark);
        const chosen = [
          {
            field: resolveField(b, body.level1, 'level1 field'),
            values: values(b, body.level1, body.level1_values),
          },
        ];
        if (body.level2 !== undefined) {
          if (body.level2 === body.level1) throw errors.badRequest('level2 must differ from level1');
          chosen.push({
            field: resolveField(b, body.level2, 'level2 field'),
            values: values(b, body.level2, body.level2_values),
          });
        }
        return {
          benchmark: b.slug,
          level: chosen.length + 1,
          chosen: chosen.map((c) => ({ field: c.field.name, values: c.values ?? null })),
          fields: await nextLevelOptions(reader(ctx), b, chosen),
        };
      });
    },
  );
}

function values(
  b: Parameters<typeof resolveFilters>[0],
  field: string,
  vals: MetaValue[] | undefined,
): string[] | undefined {
  if (!vals) return undefined;
  return resolveFilters(b, { [field]: vals })[0]!.values;
}

/** The answers' shapes, for clients written in TypeScript (the dashboards). */
export type BenchmarkListResponse = z.infer<typeof BenchmarkList>;
export type MetadataResponse = z.infer<typeof Metadata>;
export type OptionsRequest = z.infer<typeof OptionsBody>;
export type OptionsResponse = z.infer<typeof Options>;
