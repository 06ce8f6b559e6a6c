import { errors } from '../../core/errors.ts';
import { majAtK, type VoteSample } from '../../core/stats/maj-at-k.ts';
import { passAtK } from '../../core/stats/pass-at-k.ts';
import type { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import type { Engine } from '../../store/engines.ts';
import {
  type AnalysisRow,
  computeTotals,
  dropNullGroups,
  type Estimate,
  groupKey,
  LEVEL_KEYS,
  type RawRow,
  rowBuilder,
  sortRows,
  type Totals,
} from './assemble.ts';
import { AnswerCache } from './cache.ts';
import { type CatalogView, loadCatalogView } from './catalog-view.ts';
import { compileAggregate, compilePassHistogram, compileVotes } from './compile.ts';
import { MEASURE_NAMES, sqlColumns } from './measures.ts';
import type { AnalysisRequest } from './request.ts';
import { queryOver, type ResolvedQuery, resolveAnalysis } from './resolve.ts';

export interface AnalysisResponse {
  benchmark: string;
  levels: string[];
  unscored: 'exclude' | 'wrong';
  rows: AnalysisRow[];
  totals: Totals[];
  /** Results left out because a level field was NULL for their item. */
  excluded: number;
  meta: {
    engine: 'duckdb' | 'mysql';
    elapsed_ms: number;
    data_version: string;
    cached: boolean;
    row_count: number;
    stderr_method: string;
    totals_method: string;
  };
}

const STDERR_METHOD =
  "accuracy is the mean over items of each item's mean over its samples (every item weighs 1); stderr is the " +
  'sample standard deviation of those item means / sqrt(items), which with one sample per item is ' +
  "lm-evaluation-harness's stderr and with several treats an item's samples as one cluster (Miller 2024, §3.2); " +
  'ci95 is the Wilson score interval (z = 1.959964) on items';
const TOTALS_METHOD =
  "micro: all selected items pooled (item-weighted); macro: unweighted mean of the Level1 groups' accuracies, " +
  'stderr sqrt(sum of squared group stderrs) / groups';

/** What the answer cache may hold: about 70 broad 3-level answers of 20 models, thousands of small ones. */
const CACHE_BYTES = 256 * 1024 * 1024;

export interface EngineTimer {
  observe(engine: 'duckdb' | 'mysql', seconds: number): void;
}

/** Resolves, compiles, runs and assembles analyses; answers are cached by (request, data version). */
export class AnalysisService {
  private catalogCache: { version: number; view: Promise<CatalogView> } | null = null;
  /**
   * The one answer cache of the read endpoints (/analysis, /compare, items analysis, trends), keyed by
   * (endpoint, request) and emptied by a new data version. /analysis answers keep their JSON (all but
   * `meta`), so a hit costs no serialization of the rows.
   */
  readonly cache = new AnswerCache<unknown>(2500, CACHE_BYTES);
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    readonly duck: DuckDbStore,
    readonly engines: { duckdb: Engine; mysql: Engine | null },
    readonly options: { timeoutMs: number; rowCap: number; timer?: EngineTimer },
  ) {}

  get dataVersion(): string {
    return String(this.duck.dataVersion);
  }

  /** The catalog as of the current data version (one read per version). */
  catalog(): Promise<CatalogView> {
    const v = this.duck.dataVersion;
    if (!this.catalogCache || this.catalogCache.version !== v) {
      const view = this.engineQueryDb();
      this.catalogCache = { version: v, view };
      view.catch(() => {
        if (this.catalogCache?.view === view) this.catalogCache = null;
      });
    }
    return this.catalogCache.view;
  }

  private engineQueryDb(): Promise<CatalogView> {
    const engine = this.engines.duckdb;
    const t = this.options.timeoutMs;
    return loadCatalogView({
      dialect: 'duckdb',
      all: (sql, params) => engine.query(sql, params ?? [], t),
      run: () => Promise.reject(new Error('read only')),
      transaction: () => Promise.reject(new Error('read only')),
    });
  }

  engine(name: 'duckdb' | 'mysql'): Engine {
    const e = this.engines[name];
    if (!e) {
      throw errors.badRequest(
        'engine "mysql" needs a MySQL store (set MYSQL_URL); this server runs on the embedded DuckDB store',
        {
          engines: ['duckdb'],
        },
      );
    }
    return e;
  }

  async run<T>(engine: Engine, sql: string, params: unknown[]): Promise<T[]> {
    const t0 = performance.now();
    try {
      return await engine.query<T>(sql, params, this.options.timeoutMs);
    } finally {
      this.options.timer?.observe(engine.name, (performance.now() - t0) / 1000);
    }
  }

  /**
   * The answer as UTF-8 JSON: rows and totals are serialized and encoded once per (request, data
   * version); a cache hit only appends a fresh `meta`.
   */
  async analyzeJson(req: AnalysisRequest): Promise<{ response: AnalysisResponse; json: Buffer }> {
    const { response, head } = await this.answer(req);
    return {
      response,
      json: Buffer.concat([head, Buffer.from(`,"meta":${JSON.stringify(response.meta)}}`)]),
    };
  }

  /**
   * The answer of `kind` (an endpoint) to `req` as of the current data version: from the cache, or computed
   * once. Identical requests that arrive while the first is still running (a dashboard opened by many people
   * at once) wait for that one computation instead of each queueing their own.
   */
  async cached<T>(
    kind: string,
    req: unknown,
    compute: (version: string) => Promise<T>,
    bytes: (value: T) => number = () => 0,
  ): Promise<{ value: T; cached: boolean }> {
    const version = this.dataVersion;
    const key = `${kind}\u0000${JSON.stringify(req)}`;
    const hit = this.cache.get(version, key);
    if (hit !== undefined) return { value: hit as T, cached: true };
    const flightKey = `${version}\u0000${key}`;
    const pending = this.inflight.get(flightKey);
    if (pending) return { value: (await pending) as T, cached: true };
    const flight = compute(version);
    this.inflight.set(flightKey, flight);
    try {
      const value = await flight;
      this.cache.set(version, key, value, bytes(value));
      return { value, cached: false };
    } finally {
      this.inflight.delete(flightKey);
    }
  }

  private async answer(req: AnalysisRequest): Promise<{ response: AnalysisResponse; head: Buffer }> {
    const t0 = performance.now();
    const { value, cached } = await this.cached(
      'analysis',
      req,
      (version) => this.compute(req, version),
      // the JSON bytes and about as much again for the rows as objects (a broad answer: 1.6 MB of JSON, 2 MB of rows)
      (v) => 2 * v.head.length,
    );
    const meta = { ...value.response.meta, cached, elapsed_ms: performance.now() - t0 };
    return { response: { ...value.response, meta }, head: value.head };
  }

  private async compute(
    req: AnalysisRequest,
    version: string,
  ): Promise<{ response: AnalysisResponse; head: Buffer }> {
    const engine = this.engine(req.engine);
    const view = await this.catalog();
    const q = resolveAnalysis(view, req);
    const { sql, params } = compileAggregate(q, engine.name, this.options.rowCap);
    const raw = await this.run<RawRow>(engine, sql, params);
    if (raw.length > this.options.rowCap) {
      throw errors.tooLarge(
        `the answer has more than ${this.options.rowCap} rows; narrow it with filters, models or fewer levels`,
        { row_cap: this.options.rowCap },
      );
    }
    const numeric = raw.map(normalizeRow);
    const { kept, excluded } = dropNullGroups(q, numeric);
    const rows = kept.map(rowBuilder(q, view));
    const chosen = new Set(q.measures ?? MEASURE_NAMES);
    if (q.passAt.length > 0 && chosen.has('pass@k')) await this.addPassAt(engine, q, rows, kept);
    if (q.majAt.length > 0 && chosen.has('maj@k')) await this.addMajAt(engine, q, rows, kept);
    const response: AnalysisResponse = {
      benchmark: q.benchmark.slug,
      levels: q.levels.map((f) => f.name),
      unscored: q.unscored,
      rows: sortRows(q, rows),
      totals: computeTotals(view, kept),
      excluded,
      meta: {
        engine: engine.name,
        elapsed_ms: 0,
        data_version: version,
        cached: false,
        row_count: rows.length,
        stderr_method: STDERR_METHOD,
        totals_method: TOTALS_METHOD,
      },
    };
    const head = Buffer.from(JSON.stringify({ ...response, meta: undefined }).slice(0, -1));
    return { response, head };
  }

  private async addPassAt(engine: Engine, q: ResolvedQuery, rows: AnalysisRow[], kept: RawRow[]) {
    const { sql, params } = compilePassHistogram(q, engine.name);
    const hist = (await this.run<Record<string, unknown>>(engine, sql, params)).map((h) =>
      normalizeRow(h as never),
    );
    const byGroup = new Map<string, { n: number; c: number; count: number }[]>();
    for (const h of hist as unknown as (RawRow & { c: number; items: number })[]) {
      const k = groupKey(h, q.levels.length);
      const list = byGroup.get(k) ?? [];
      list.push({ n: Number(h.n), c: Number(h.c), count: Number(h.items) });
      byGroup.set(k, list);
    }
    kept.forEach((r, i) => {
      const items = byGroup.get(groupKey(r, q.levels.length)) ?? [];
      for (const k of q.passAt) {
        const e = passAtK(items, k);
        (rows[i] as unknown as Record<string, unknown>)[`pass@${k}`] = {
          n: e.items,
          value: e.value,
          stderr: e.stderr,
          too_few_samples: e.tooFewSamples,
        } satisfies Estimate & { too_few_samples: number };
      }
    });
  }

  private async addMajAt(engine: Engine, q: ResolvedQuery, rows: AnalysisRow[], kept: RawRow[]) {
    const { sql, params } = compileVotes(q, engine.name);
    const votes = await this.run<Record<string, unknown>>(engine, sql, params);
    const byGroup = new Map<string, Map<number, VoteSample[]>>();
    for (const v of votes) {
      const r = normalizeRow(v as never);
      const k = groupKey(r, q.levels.length);
      let items = byGroup.get(k);
      if (!items) {
        items = new Map();
        byGroup.set(k, items);
      }
      const item = Number(v.item_id);
      const list = items.get(item) ?? [];
      list.push({ answer: (v.answer as string | null) ?? null, correct: Number(v.ok) === 1 });
      items.set(item, list);
    }
    kept.forEach((r, i) => {
      const items = [...(byGroup.get(groupKey(r, q.levels.length))?.values() ?? [])];
      for (const k of q.majAt) {
        const e = majAtK(items, k);
        (rows[i] as unknown as Record<string, unknown>)[`maj@${k}`] = {
          n: e.items,
          value: e.value,
          stderr: e.stderr,
          too_few_samples: e.tooFewSamples,
        };
      }
    });
  }
}

/** The numeric columns of the aggregate, pass@k and maj@k queries (sample measures: measures.ts). */
const NUMERIC_FIELDS = [
  'model',
  'n_samples',
  'n',
  'correct',
  'unscored',
  'errors',
  'n_items',
  'sum_p',
  'sum_p2',
  'n_score',
  'sum_s',
  'sum_s2',
  ...sqlColumns(MEASURE_NAMES),
  'c',
  'items',
  'item_id',
  'sample',
  'ok',
];

/** Both engines' rows as plain numbers (in place); group keys as text (ENUMs and VARCHARs alike). */
function normalizeRow(r: RawRow): RawRow {
  // DuckDB's rows arrive as numbers and strings already (queryRows); MySQL's sums arrive as DECIMAL text
  const o = r as unknown as Record<string, unknown>;
  for (const k in o) {
    const v = o[k];
    if (v === null || v === undefined) continue;
    if (GROUP.has(k)) {
      if (typeof v !== 'string') o[k] = String(v);
    } else if ((typeof v === 'string' && NUMERIC.has(k)) || typeof v === 'bigint') o[k] = Number(v);
  }
  return r;
}
const NUMERIC = new Set<string>(NUMERIC_FIELDS);
const GROUP = new Set<string>(LEVEL_KEYS);
export interface SummaryEntry {
  benchmark: string;
  items: number;
  runs: number;
  results: number;
  models: AnalysisRow[];
}

/** Per benchmark: result totals and each model's accuracy over all its items (micro), with stderr. */
export async function summarize(service: AnalysisService): Promise<SummaryEntry[]> {
  const view = await service.catalog();
  const out: SummaryEntry[] = [];
  for (const b of view.benchmarks.values()) {
    const runs = view.runs.filter((r) => r.benchmarkId === b.id);
    const perModel = new Map<number, number>();
    for (const r of runs) perModel.set(r.modelId, (perModel.get(r.modelId) ?? 0) + 1);
    const perItem = runs.some((r) => r.maxSample > 0) || [...perModel.values()].some((n) => n > 1);
    const q = queryOver(
      b,
      runs.map((r) => r.id),
      { perItem },
    );
    const engine = service.engines.duckdb;
    const { sql, params } = compileAggregate(q, 'duckdb', 100_000);
    const rows = (await service.run<RawRow>(engine, sql, params)).map(normalizeRow);
    // the benchmark's catalogued items, as GET /benchmarks counts them
    const [items] = await service.run<{ n: number | bigint }>(
      engine,
      'SELECT count(*) AS n FROM items WHERE benchmark_id = ?',
      [b.id],
    );
    out.push({
      benchmark: b.slug,
      items: Number(items?.n ?? 0),
      runs: runs.length,
      results: runs.reduce((s, r) => s + r.results, 0),
      models: rows.map(rowBuilder(q, view)).sort((x, y) => (y.accuracy ?? -1) - (x.accuracy ?? -1)),
    });
  }
  return out;
}
