import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import type { MeasureName } from '../analysis/measures.ts';
import { AnalysisRequest, levelNames } from '../analysis/request.ts';
import { resolveMeasures } from '../analysis/resolve.ts';
import { type AnalysisResponse, summarize } from '../analysis/service.ts';
import { analyzeItems } from '../compare/items.ts';
import { CompareRequest } from '../compare/request.ts';
import { compare } from '../compare/service.ts';
import type { AppContext } from '../context.ts';
import { ItemsQuery } from '../routes/items.ts';
import { VERSION } from '../version.ts';
import type {
  ExportDocument,
  ExportFormat,
  ExportKind,
  Matrix,
  NativeChart,
  Provenance,
} from './document.ts';
import { fileStem } from './file-name.ts';
import { ResultsQuery } from './results.ts';
import { analysisTable, compareTable, objectTable } from './tables.ts';

/** The summary takes no options; an empty object keeps the request shape uniform. */
export const SummaryQuery = z.strictObject({});

/** Each kind's query: the body (or query string) of the endpoint it exports, validated by that endpoint's schema. */
export const KIND_QUERIES = {
  analysis: AnalysisRequest,
  compare: CompareRequest,
  // the items route takes the benchmark in its path: here it is a field beside the query string's
  items: ItemsQuery.extend({ benchmark: z.string().min(1).max(191).describe('benchmark slug') }),
  summary: SummaryQuery,
  results: ResultsQuery,
} as const;

/** Gate 1 of an export's query: the same validation, and the same 400, as the endpoint it names. */
export function parseKindQuery<K extends keyof typeof KIND_QUERIES>(
  kind: K,
  query: unknown,
): z.infer<(typeof KIND_QUERIES)[K]> {
  const parsed = KIND_QUERIES[kind].safeParse(query ?? {});
  if (!parsed.success) {
    throw errors.validationFailed(
      `query of kind ${kind}`,
      parsed.error.issues.map((i) => ({ path: `/query/${i.path.join('/')}`, message: i.message })),
    );
  }
  return parsed.data as z.infer<(typeof KIND_QUERIES)[K]>;
}

/** The provenance every export file carries (document.ts). */
export function provenance(
  kind: ExportKind,
  format: ExportFormat,
  query: unknown,
  meta: { data_version: string; engine: 'duckdb' | 'mysql' },
  methods: Record<string, string>,
  now: Date,
): Provenance {
  return {
    kind,
    format,
    query,
    api_version: VERSION,
    data_version: meta.data_version,
    engine: meta.engine,
    generated_at: now.toISOString(),
    methods,
  };
}

/**
 * Builds the document of one export (every kind but `results`, which streams: results.ts), and the answers its
 * charts are drawn from: the xlsx and pdf writers render them (render-pool.ts, off the event loop).
 */
export async function buildDocument(
  ctx: AppContext,
  kind: Exclude<ExportKind, 'results'>,
  format: ExportFormat,
  query: unknown,
  now = new Date(),
): Promise<{ doc: ExportDocument; answers: ExportAnswers }> {
  const { answers, ...doc } = await buildTables(ctx, kind, format, query, now);
  return { doc, answers };
}

type Built = ExportDocument & { answers: ExportAnswers };
/** The answers a document was built from, for the charts. */
export interface ExportAnswers {
  analysis?: AnalysisResponse;
  overall?: AnalysisResponse;
  byLevel1?: AnalysisResponse;
  compare?: Awaited<ReturnType<typeof compare>>;
}

async function buildTables(
  ctx: AppContext,
  kind: Exclude<ExportKind, 'results'>,
  format: ExportFormat,
  query: unknown,
  now: Date,
): Promise<Built> {
  switch (kind) {
    case 'analysis':
      return analysisDocument(ctx, format, query, now);
    case 'compare':
      return compareDocument(ctx, format, query, now);
    case 'items':
      return itemsDocument(ctx, format, query, now);
    case 'summary':
      return summaryDocument(ctx, format, query, now);
  }
}

async function analysisDocument(
  ctx: AppContext,
  format: ExportFormat,
  query: unknown,
  now: Date,
): Promise<Built> {
  const req = parseKindQuery('analysis', query);
  const selected = resolveMeasures(req);
  const res = (await ctx.analysis.analyzeJson(req)).response;
  const levels = levelNames(req);
  const main = analysisTable(res, selected, { totals: true, name: 'analysis' });
  // the per-model overview (accuracy with its interval: the native chart's data) and the models × Level1 matrix
  // are analyses of their own over the same selection: cached, and cheap next to the main one
  const base = { ...req, levels: [] as string[], level1: undefined, level2: undefined, level3: undefined };
  const overallReq = { ...base, measures: ['n', 'accuracy', 'stderr', 'ci95'] as MeasureName[] };
  delete overallReq.pass_at;
  delete overallReq.maj_at;
  const overall = (await ctx.analysis.analyzeJson(overallReq)).response;
  overall.rows.sort((a, b) => (b.accuracy ?? -1) - (a.accuracy ?? -1));
  const models = analysisTable(overall, overallReq.measures, { name: 'models', title: 'accuracy per model' });
  const tables = levels.length > 0 ? [main, models] : [models];
  let matrix: Matrix | undefined;
  let byLevel1: AnalysisResponse | undefined;
  if (levels.length > 0) {
    byLevel1 =
      levels.length === 1
        ? res
        : (
            await ctx.analysis.analyzeJson({
              ...overallReq,
              levels: [levels[0]!],
              measures: ['n', 'accuracy'],
            })
          ).response;
    matrix = accuracyMatrix(byLevel1, overall, levels[0]!);
  }
  const nativeCharts: NativeChart[] =
    models.rows.length > 0
      ? [
          {
            title: `${res.benchmark}: accuracy per model with 95 % interval`,
            table: models.name,
            category: 'model',
            value: 'accuracy',
            low: 'ci95_low',
            high: 'ci95_high',
            rows: [0, models.rows.length - 1],
          },
        ]
      : [];
  const groups = new Set(res.rows.map((r) => JSON.stringify(r.groups))).size;
  return {
    kind: 'analysis',
    title: `${res.benchmark}: ${main.title}`,
    subtitle: `${overall.rows.length} models · ${levels.length ? `${groups} groups · ` : ''}data version ${res.meta.data_version}`,
    fileStem: fileStem([res.benchmark, 'analysis', levels.length ? levels.join('-') : 'overall'], now),
    provenance: provenance('analysis', format, query, res.meta, analysisMethods(res), now),
    tables,
    ...(matrix ? { matrix } : {}),
    charts: [],
    nativeCharts,
    answer: res,
    answers: { analysis: res, overall, ...(byLevel1 ? { byLevel1 } : {}) },
  };
}

function analysisMethods(res: AnalysisResponse): Record<string, string> {
  return {
    accuracy:
      "every item weighs 1: an item's value is the share of its scored samples that are correct, and accuracy is the mean over items",
    unscored: `unscored answers are ${res.unscored === 'wrong' ? 'counted as incorrect' : 'left out of n'}; errors never count`,
    'stderr and interval': res.meta.stderr_method,
    totals: res.meta.totals_method,
    excluded: `${res.excluded} results were left out because a level field was NULL for their item`,
  };
}

/** Models (best first) × Level1 values of accuracy. */
function accuracyMatrix(byLevel1: AnalysisResponse, overall: AnalysisResponse, level: string): Matrix {
  const models = overall.rows.map((r) => r.model);
  const values = [...new Set(byLevel1.rows.map((r) => r.groups[level]))].sort((a, b) =>
    String(a).localeCompare(String(b)),
  );
  const at = new Map(byLevel1.rows.map((r) => [`${r.model}\u0000${String(r.groups[level])}`, r.accuracy]));
  return {
    name: 'matrix',
    title: `accuracy: models × ${level}`,
    rowLabel: 'model',
    rows: models,
    columns: values.map(String),
    values: models.map((m) => values.map((v) => at.get(`${m}\u0000${String(v)}`) ?? null)),
    format: 'share',
  };
}

async function compareDocument(
  ctx: AppContext,
  format: ExportFormat,
  query: unknown,
  now: Date,
): Promise<Built> {
  const req = parseKindQuery('compare', query);
  const res = await compare(ctx.analysis, req);
  const table = compareTable(res);
  const overallRows = table.rows.filter(
    (_, i) => res.levels.length === 0 || table.marks?.[i] === 'overall',
  ).length;
  const significant = res.rows.filter((r) => r.significant).length;
  return {
    kind: 'compare',
    title: `${res.benchmark}: ${res.models.filter((m) => m !== res.baseline).join(', ')} vs ${res.baseline}`,
    subtitle: `${res.metric} · ${res.rows.length} comparisons, ${significant} significant at α ${res.alpha} (${res.correction}) · data version ${res.meta.data_version}`,
    fileStem: fileStem(
      [res.benchmark, 'compare', ...res.models.slice(0, 3), res.levels.join('-') || 'overall'],
      now,
    ),
    provenance: provenance(
      'compare',
      format,
      query,
      res.meta,
      {
        test: res.meta.method,
        'stderr and interval': res.meta.stderr_method,
        correction: `${res.correction}: ${res.meta.correction_family}`,
        excluded: `${res.excluded_items} items were left out because a level field was NULL for them`,
      },
      now,
    ),
    tables: [table],
    charts: [],
    nativeCharts:
      overallRows > 0
        ? [
            {
              title: `${res.benchmark}: difference to ${res.baseline} with 95 % interval`,
              table: table.name,
              category: 'model',
              value: 'diff',
              low: 'ci95_low',
              high: 'ci95_high',
              rows: [0, overallRows - 1],
            },
          ]
        : [],
    answer: res,
    answers: { compare: res },
  };
}

async function itemsDocument(
  ctx: AppContext,
  format: ExportFormat,
  query: unknown,
  now: Date,
): Promise<Built> {
  const req = parseKindQuery('items', query);
  const res = await analyzeItems(ctx.analysis, {
    ...req,
    models: req.models
      ?.split(',')
      .map((m) => m.trim())
      .filter((m) => m !== ''),
  });
  const fields = [...new Set(res.items.flatMap((i) => Object.keys(i.metadata)))];
  type Item = (typeof res.items)[number];
  const items = objectTable<Item>(
    'items',
    'items: difficulty, discrimination, flags',
    1,
    [
      { column: { key: 'item', label: 'item', format: 'text' }, get: (r) => r.item },
      { column: { key: 'n_models', label: 'models', format: 'count' }, get: (r) => r.n_models },
      {
        column: {
          key: 'difficulty',
          label: 'share correct',
          format: 'share',
          description: 'mean over models',
        },
        get: (r) => r.difficulty,
      },
      {
        column: { key: 'discrimination', label: 'discrimination', format: 'number' },
        get: (r) => r.discrimination,
      },
      {
        column: { key: 'rasch_difficulty', label: 'Rasch difficulty', format: 'number' },
        get: (r) => r.rasch_difficulty,
      },
      {
        column: { key: 'rasch_difficulty_se', label: 'Rasch SE', format: 'number' },
        get: (r) => r.rasch_difficulty_se,
      },
      { column: { key: 'flags', label: 'flags', format: 'text' }, get: (r) => r.flags.join(' ') },
      ...fields.map((f) => ({
        column: { key: `meta_${f}`, label: f, format: 'text' as const },
        get: (r: Item) => r.metadata[f] ?? null,
      })),
    ],
    res.items,
  );
  type M = (typeof res.models)[number];
  const models = objectTable<M>(
    'models',
    'models: accuracy and Rasch ability',
    1,
    [
      { column: { key: 'model', label: 'model', format: 'text' }, get: (r) => r.model },
      { column: { key: 'n_items', label: 'items', format: 'count' }, get: (r) => r.n_items },
      { column: { key: 'accuracy', label: 'accuracy', format: 'share' }, get: (r) => r.accuracy },
      { column: { key: 'ability', label: 'Rasch ability', format: 'number' }, get: (r) => r.ability },
      { column: { key: 'ability_se', label: 'ability SE', format: 'number' }, get: (r) => r.ability_se },
      {
        column: { key: 'excluded_reason', label: 'left out of Rasch', format: 'text' },
        get: (r) => r.excluded_reason,
      },
    ],
    res.models,
  );
  return {
    kind: 'items',
    title: `${res.benchmark}: item analysis`,
    subtitle: `${res.matching_items} of ${res.total_items} items (rows ${req.offset + 1}–${req.offset + res.items.length}) · data version ${res.meta.data_version}`,
    fileStem: fileStem([res.benchmark, 'items', req.flag ?? req.sort], now),
    provenance: provenance(
      'items',
      format,
      query,
      res.meta as { data_version: string; engine: 'duckdb' | 'mysql' },
      {
        method: String((res.meta as { method?: string }).method ?? ''),
      },
      now,
    ),
    tables: [items, models],
    charts: [],
    nativeCharts: [],
    answer: res,
    answers: {},
  };
}

async function summaryDocument(
  ctx: AppContext,
  format: ExportFormat,
  query: unknown,
  now: Date,
): Promise<Built> {
  parseKindQuery('summary', query);
  const benchmarks = await summarize(ctx.analysis);
  type Row = {
    benchmark: string;
    runs: number;
    results: number;
    model: string;
    n: number;
    accuracy: number | null;
    stderr: number | null;
    ci95: [number, number] | null;
  };
  const rows: Row[] = benchmarks.flatMap((b) =>
    b.models.map((m) => ({
      benchmark: b.benchmark,
      runs: b.runs,
      results: b.results,
      model: m.model,
      n: m.n,
      accuracy: m.accuracy,
      stderr: m.stderr,
      ci95: m.ci95,
    })),
  );
  const table = objectTable<Row>(
    'summary',
    "each benchmark's models over all their items",
    2,
    [
      { column: { key: 'benchmark', label: 'benchmark', format: 'text' }, get: (r) => r.benchmark },
      { column: { key: 'model', label: 'model', format: 'text' }, get: (r) => r.model },
      { column: { key: 'n', label: 'n', format: 'count' }, get: (r) => r.n },
      { column: { key: 'accuracy', label: 'accuracy', format: 'share' }, get: (r) => r.accuracy },
      { column: { key: 'stderr', label: 'stderr', format: 'share' }, get: (r) => r.stderr },
      { column: { key: 'ci95_low', label: '95 % CI low', format: 'share' }, get: (r) => r.ci95?.[0] ?? null },
      {
        column: { key: 'ci95_high', label: '95 % CI high', format: 'share' },
        get: (r) => r.ci95?.[1] ?? null,
      },
      { column: { key: 'runs', label: 'runs of the benchmark', format: 'count' }, get: (r) => r.runs },
      {
        column: { key: 'results', label: 'results of the benchmark', format: 'count' },
        get: (r) => r.results,
      },
    ],
    rows,
  );
  const version = ctx.analysis.dataVersion;
  return {
    kind: 'summary',
    title: 'evalhouse: every benchmark',
    subtitle: `${benchmarks.length} benchmarks · data version ${version}`,
    fileStem: fileStem(['summary'], now),
    provenance: provenance(
      'summary',
      format,
      query,
      { data_version: version, engine: 'duckdb' },
      {
        accuracy: "every item weighs 1: the mean over items of each item's share of correct scored samples",
      },
      now,
    ),
    tables: [table],
    charts: [],
    nativeCharts: [],
    answer: { benchmarks, data_version: version },
    answers: {},
  };
}
