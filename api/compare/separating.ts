import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { type MetaValue, MetaValueSchema } from '../../core/types.ts';
import type { Engine } from '../../store/engines.ts';
import { decodeValue } from '../../store/field-types.ts';
import { type BenchView, groupable } from '../analysis/catalog-view.ts';
import { resolveQuery } from '../analysis/resolve.ts';
import type { AnalysisService } from '../analysis/service.ts';
import { compileSeparating } from './compile.ts';
import type { SeparatingRequest } from './request.ts';

/** What POST /compare/items answers: its response schema and the service's type in one. */
export const SeparatingResponseSchema = z.object({
  benchmark: z.string(),
  models: z.array(z.string()).describe('[A, B]'),
  side: z.enum(['a', 'b']),
  paired: z.number().int().describe('items with a value for both models'),
  a_better: z.number().int().describe("items where A's value is above B's (0/1: A right, B wrong)"),
  b_better: z.number().int().describe("items where B's value is above A's (0/1: B right, A wrong)"),
  total: z.number().int().describe("the side's items, over all pages"),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable().describe('the offset of the next page, null on the last'),
  items: z.array(
    z.object({
      item: z.string(),
      a: z.number().describe("A's item value: share of its scored samples that are correct"),
      b: z.number(),
      metadata: z.record(z.string(), MetaValueSchema),
    }),
  ),
  meta: z.object({
    engine: z.enum(['duckdb', 'mysql']),
    elapsed_ms: z.number(),
    data_version: z.string(),
    cached: z.boolean(),
    method: z.string(),
  }),
});
export type SeparatingResponse = z.infer<typeof SeparatingResponseSchema>;

const METHOD =
  "an item's value for a model is the share of its scored samples that are correct (errors never count; " +
  'unscored excluded or counted wrong); an item separates A and B when both have a value and the values ' +
  "differ (one sample per item: one right, the other wrong). With 0/1 values a_better and b_better are /compare's " +
  'discordant pairs. Items are ordered by the size of the gap, then in the order the benchmark was stored';

/** The items that separate two models on one side, paged, with each side's count. */
export async function separatingItems(
  service: AnalysisService,
  req: SeparatingRequest,
): Promise<SeparatingResponse> {
  const t0 = performance.now();
  const { value, cached } = await service.cached('compare-items', req, (version) =>
    computeSeparating(service, req, version),
  );
  return { ...value, meta: { ...value.meta, cached, elapsed_ms: performance.now() - t0 } };
}

async function computeSeparating(
  service: AnalysisService,
  req: SeparatingRequest,
  version: string,
): Promise<SeparatingResponse> {
  const engine = service.engine(req.engine);
  const view = await service.catalog();
  const q = resolveQuery(view, {
    benchmark: req.benchmark,
    filters: req.filters,
    models: req.models,
    runs: req.runs,
    unscored: req.unscored,
  });
  const selected = view.runs.filter((r) => q.runIds.includes(r.id));
  for (const m of req.models) {
    if (!selected.some((r) => r.modelId === view.modelId.get(m))) {
      throw errors.badRequest(`model "${m}" has no run among the selected runs`, {
        model: m,
        runs: req.runs ?? null,
      });
    }
  }
  const [a, b] = req.models.map((m) => view.modelId.get(m)!) as [number, number];
  const sql = compileSeparating(q, engine.name, { a, b }, req);
  const [counts] = await service.run<Record<string, unknown>>(engine, sql.counts.sql, sql.counts.params);
  const page = await service.run<Record<string, unknown>>(engine, sql.page.sql, sql.page.params);
  const metadata = await itemMetadata(
    service,
    engine,
    q.benchmark,
    page.map((r) => Number(r.item_id)),
  );
  const aBetter = Number(counts?.a_better ?? 0);
  const bBetter = Number(counts?.b_better ?? 0);
  const total = req.side === 'a' ? aBetter : bBetter;
  return {
    benchmark: q.benchmark.slug,
    models: req.models,
    side: req.side,
    paired: Number(counts?.paired ?? 0),
    a_better: aBetter,
    b_better: bBetter,
    total,
    limit: req.limit,
    offset: req.offset,
    next_offset: req.offset + page.length < total ? req.offset + page.length : null,
    items: page.map((r) => ({
      item: String(r.item_key),
      a: Number(r.xa),
      b: Number(r.xb),
      metadata: metadata.get(Number(r.item_id)) ?? {},
    })),
    meta: {
      engine: engine.name,
      elapsed_ms: 0,
      data_version: version,
      cached: false,
      method: METHOD,
    },
  };
}

/** The groupable metadata of a page's items, by item id. */
async function itemMetadata(
  service: AnalysisService,
  engine: Engine,
  b: BenchView,
  ids: number[],
): Promise<Map<number, Record<string, MetaValue>>> {
  const out = new Map<number, Record<string, MetaValue>>();
  if (ids.length === 0) return out;
  const fields = groupable(b);
  // WARNING: identifiers are our generated m<col> columns (col an integer 0..15); the ids are bound.
  // Shape: `SELECT id, m0, m3 FROM items WHERE id IN (?, ?)`.
  const sql = `SELECT id${fields.map((f) => `, m${Math.trunc(f.col!)}`).join('')} FROM items WHERE id IN (${ids
    .map(() => '?')
    .join(', ')})`;
  for (const r of await service.run<Record<string, unknown>>(engine, sql, ids)) {
    const metadata: Record<string, MetaValue> = {};
    for (const f of fields) {
      const v = r[`m${Math.trunc(f.col!)}`];
      metadata[f.name] = decodeValue(v === null || v === undefined ? null : String(v), f.type);
    }
    out.set(Number(r.id), metadata);
  }
  return out;
}
