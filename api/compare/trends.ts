import { errors } from '../../core/errors.ts';
import { fromSums } from '../../core/stats/stderr.ts';
import type { RunView } from '../analysis/catalog-view.ts';
import { compileAggregate } from '../analysis/compile.ts';
import { queryOver, resolveBenchmark } from '../analysis/resolve.ts';
import type { AnalysisService } from '../analysis/service.ts';

export interface TrendsQuery {
  benchmark: string;
  model_prefix?: string | undefined;
  models?: string[] | undefined;
  engine: 'duckdb' | 'mysql';
}

const MAX_RUNS = 500;

/** How /trends dates a run, said in every answer. */
export const TRENDS_DATE =
  'runs are dated and ordered by evaluated_at (when the evaluation ran, from the harness file or the runner) ' +
  'and, where that is unknown, by created_at (when the run was imported); date_source says which per point';

/** The date a run is placed at: its evaluation's, else its registration's. */
const dateOf = (r: RunView) => r.evaluatedAt ?? r.createdAt;

/**
 * Accuracy per run, oldest first, for the models named or starting with a prefix: item-weighted (items
 * averaged over their samples first), with the stderr of the mean of item means, as /analysis computes it.
 */
export async function trends(service: AnalysisService, query: TrendsQuery) {
  const t0 = performance.now();
  const { value } = await service.cached('trends', query, () => computeTrends(service, query));
  return { ...value, meta: { ...value.meta, elapsed_ms: performance.now() - t0 } };
}

async function computeTrends(service: AnalysisService, query: TrendsQuery) {
  const t0 = performance.now();
  const engine = service.engine(query.engine);
  const view = await service.catalog();
  const b = resolveBenchmark(view, query.benchmark);
  const runs = view.runs.filter((r) => r.benchmarkId === b.id);
  const known = [...new Set(runs.map((r) => view.modelName.get(r.modelId)!))].sort();
  if (query.models) {
    for (const m of query.models) if (!known.includes(m)) throw errors.notFound('model', m, known);
  }
  const wanted = (name: string) =>
    (query.models === undefined || query.models.includes(name)) &&
    (query.model_prefix === undefined || name.startsWith(query.model_prefix));
  const selected = runs
    .filter((r) => wanted(view.modelName.get(r.modelId)!))
    .sort((x, y) => (dateOf(x) < dateOf(y) ? -1 : dateOf(x) > dateOf(y) ? 1 : x.id - y.id));
  if (selected.length === 0 && query.model_prefix !== undefined) {
    throw errors.notFound('model prefix', query.model_prefix, known);
  }
  if (selected.length > MAX_RUNS) {
    throw errors.tooLarge(`more than ${MAX_RUNS} runs match; narrow with models or a longer model_prefix`, {
      runs: selected.length,
    });
  }
  // One aggregate per run (the shared compiler has no run key); runs are few next to their results.
  const points = await Promise.all(
    selected.map(async (run) => {
      const q = queryOver(b, [run.id], { perItem: true, measures: ['accuracy'] });
      const { sql, params } = compileAggregate(q, engine.name, 10);
      const [row] = await service.run<Record<string, unknown>>(engine, sql, params);
      const s = fromSums({
        n: Number(row?.n_items ?? 0),
        sum: Number(row?.sum_p ?? 0),
        sumSq: Number(row?.sum_p2 ?? 0),
      });
      return {
        run_id: run.id,
        label: run.label,
        date: dateOf(run),
        date_source: run.evaluatedAt === null ? ('created_at' as const) : ('evaluated_at' as const),
        evaluated_at: run.evaluatedAt,
        created_at: run.createdAt,
        model: view.modelName.get(run.modelId)!,
        source: run.source,
        status: run.status,
        n_items: s.n,
        accuracy: s.mean,
        stderr: s.stderr,
      };
    }),
  );
  return {
    benchmark: b.slug,
    points,
    meta: {
      engine: engine.name,
      elapsed_ms: performance.now() - t0,
      data_version: service.dataVersion,
      ordered_by: TRENDS_DATE,
    },
  };
}
