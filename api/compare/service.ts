import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { benjaminiHochberg, holm } from '../../core/stats/corrections.ts';
import { PairedStatsSchema, pairedStats } from '../../core/stats/paired-stats.ts';
import { type MetadataField, type MetaValue, MetaValueSchema } from '../../core/types.ts';
import { compareValues, decodeValue } from '../../store/field-types.ts';
import { type CatalogView, groupable, type RunView } from '../analysis/catalog-view.ts';
import { levelNames } from '../analysis/request.ts';
import { type ResolvedQuery, resolveQuery } from '../analysis/resolve.ts';
import type { AnalysisService } from '../analysis/service.ts';
import { compilePairHistogram } from './compile.ts';
import type { CompareRequest } from './request.ts';

/** One row of POST /compare: a model against the baseline in one group (or overall). */
export const CompareRowSchema = PairedStatsSchema.extend({
  /** A: the model compared (diff = model − baseline). */
  model: z.string(),
  /** B: the baseline (with two models and no baseline named, the second one). */
  baseline: z.string(),
  /** True for the row over every group's items (no level values). */
  overall: z.boolean(),
  groups: z.record(z.string(), MetaValueSchema),
  /** Items with a value for A only / for B only (not paired, left out of every statistic). */
  only_a: z.number(),
  only_b: z.number(),
  p_adjusted: z.number().nullable(),
  significant: z.boolean().nullable(),
});
export type CompareRow = z.infer<typeof CompareRowSchema>;

/** What POST /compare answers: its response schema and the service's type in one. */
/** One arm of the comparison: a model (its selected runs), a run, or the run of a stored prompt version. */
export const CompareArmSchema = z.object({
  /** The name rows use in `model` and `baseline`: the model, `#<run id> <label>`, or `name@version`. */
  name: z.string(),
  run_ids: z.array(z.number()),
  models: z.array(z.string()),
  prompt_version: z.string().nullable(),
});
export type CompareArm = z.infer<typeof CompareArmSchema>;

export const CompareResponseSchema = z.object({
  benchmark: z.string(),
  /** What the arms are: models, runs, or the runs of stored prompt versions. */
  mode: z.enum(['models', 'runs', 'prompt_versions']),
  /** The arms' names (models mode: the models), the baseline included. */
  models: z.array(z.string()),
  baseline: z.string(),
  arms: z.array(CompareArmSchema),
  target_difference: z.number(),
  levels: z.array(z.string()),
  metric: z.enum(['accuracy', 'score']),
  unscored: z.enum(['exclude', 'wrong']),
  correction: z.enum(['holm', 'bh', 'none']),
  alpha: z.number(),
  rows: z.array(CompareRowSchema),
  /** Items left out because a level field was NULL for them. */
  excluded_items: z.number(),
  meta: z.object({
    engine: z.enum(['duckdb', 'mysql']),
    elapsed_ms: z.number(),
    data_version: z.string(),
    cached: z.boolean(),
    row_count: z.number(),
    items_fetched: z.number(),
    cluster_field: z.string().nullable(),
    method: z.string(),
    stderr_method: z.string(),
    correction_family: z.string(),
  }),
});
export type CompareResponse = z.infer<typeof CompareResponseSchema>;

const METHOD =
  'per item, the mean of its scored samples (errors never count; unscored excluded or counted wrong); an item is ' +
  'paired when both models have a value. 0/1 item values: exact McNemar test on the discordant pairs (two-sided, ' +
  'p = min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½)); otherwise (several samples, scores) the paired t-test ' +
  '(df = n − 1). bayes: independent Beta(1, 1)-Binomial posteriors of each accuracy on the paired items (0/1 values ' +
  'only), exact P(A > B) and an equal-tailed 95 % interval of the difference. power: minimum detectable difference ' +
  'at 80 % power and level alpha for n_paired items per model and the baseline accuracy (two-proportion normal ' +
  'approximation; mde_paired: McNemar with the observed discordance); large_enough = mde ≤ |diff|. ' +
  'paired_bayes (0/1 values): Dirichlet(1, 1, 1, 1) prior over the paired cells (both right, only baseline, only ' +
  'model, neither), posterior Dirichlet(1 + counts); diff = p(only model) − p(only baseline); exact ' +
  'P(model better) = I_½(1 + only baseline, 1 + only model), exact expected losses E[max(0, −diff)] (choosing ' +
  'the model) and E[max(0, diff)] (keeping the baseline), equal-tailed 95 % interval by a deterministic grid ' +
  'over the product form diff = s·(2u − 1). sample_size: paired items needed for McNemar to detect ' +
  'target_difference at 80 % power and level alpha with the observed discordance (Connor 1987); ' +
  'large_enough = n_paired ≥ n_needed. Arms: models (all their selected runs), or runs (each run an arm, ' +
  'by run id), or prompt versions (the run made with each).';
const STDERR_PAIRED =
  'stderr = sd(d)/√n of the paired differences d_i = a_i − b_i (Miller 2024 §4); ci95 = diff ± 1.959964·stderr ' +
  'for 0/1 values, the t interval (df = n − 1) for the paired t-test';
const stderrClustered = (field: string) =>
  `stderr clustered on "${field}" (Miller 2024 eq. 4, applied to the paired differences): SE² = sd(d)²/n + ` +
  `(1/n²)·Σ_c Σ_{i≠j∈c} (d_i − d̄)(d_j − d̄); ci95 = diff ± 1.959964·SE. p-values are the unclustered tests'`;
const FAMILY =
  'p_adjusted: group rows are corrected together (every model vs baseline × group); overall rows are ' +
  'corrected among themselves (one per model vs baseline)';

/** Resolves, runs one per-item query, and computes every comparison in TypeScript with core/stats. */
export async function compare(service: AnalysisService, req: CompareRequest): Promise<CompareResponse> {
  const t0 = performance.now();
  const { value, cached } = await service.cached('compare', req, (version) =>
    computeCompare(service, req, version),
  );
  return { ...value, meta: { ...value.meta, cached, elapsed_ms: performance.now() - t0 } };
}

/** The arms of a request, each with the id its rows carry in the `model` column (a model id, or a run id). */
interface ResolvedArms {
  mode: CompareResponse['mode'];
  benchmark: string;
  /** Selection passed to resolveQuery: models mode narrows by models and runs; the others by their runs. */
  models: string[] | undefined;
  runs: (number | string)[] | undefined;
  armByRun: boolean;
  baseline: string;
  challengers: string[];
  idOf: Map<string, number>;
  arms: CompareArm[];
}

const runName = (r: RunView) => `#${r.id} ${r.label}`;

/** A/B arms named by runs: every run must exist, be named once, and all be of one benchmark (400 otherwise). */
function armsFromRuns(
  view: CatalogView,
  picked: { want: string; run: RunView; prompt: string | null }[],
  benchmark: string | undefined,
  mode: 'runs' | 'prompt_versions',
): ResolvedArms {
  const ids = picked.map((p) => p.run.id);
  if (new Set(ids).size !== ids.length) {
    throw errors.badRequest('two arms name the same run', { runs: picked.map((p) => p.want) });
  }
  const benchIds = new Set(picked.map((p) => p.run.benchmarkId));
  const slugOf = (id: number) => [...view.benchmarks.values()].find((b) => b.id === id)?.slug ?? String(id);
  if (benchIds.size > 1) {
    throw errors.badRequest(
      'the runs are of different benchmarks: an A/B test compares runs of one benchmark',
      {
        runs: picked.map((p) => ({ run: p.run.id, benchmark: slugOf(p.run.benchmarkId) })),
      },
    );
  }
  const slug = slugOf(picked[0]!.run.benchmarkId);
  if (benchmark !== undefined && benchmark !== slug) {
    throw errors.badRequest(`the runs are of benchmark "${slug}", not "${benchmark}"`, { benchmark: slug });
  }
  const names = picked.map((p) => p.prompt ?? runName(p.run));
  return {
    mode,
    benchmark: slug,
    models: undefined,
    runs: ids,
    armByRun: true,
    baseline: names[0]!,
    challengers: names.slice(1),
    idOf: new Map(names.map((n, i) => [n, ids[i]!])),
    arms: picked.map((p, i) => ({
      name: names[i]!,
      run_ids: [p.run.id],
      models: [view.modelName.get(p.run.modelId) ?? String(p.run.modelId)],
      prompt_version: p.prompt,
    })),
  };
}

function resolveArms(view: CatalogView, req: CompareRequest): ResolvedArms {
  if (req.models) {
    if (req.benchmark === undefined) throw errors.badRequest('models need a benchmark');
    const baseline = req.baseline ?? req.models[1]!;
    return {
      mode: 'models',
      benchmark: req.benchmark,
      models: req.models,
      runs: req.runs,
      armByRun: false,
      baseline,
      challengers: req.baseline ? req.models.filter((m) => m !== req.baseline) : [req.models[0]!],
      idOf: new Map(req.models.map((m) => [m, view.modelId.get(m)!])),
      arms: [],
    };
  }
  if (req.prompt_versions) return armsFromPromptVersions(view, req);
  if (!req.runs || req.runs.length < 2) {
    throw errors.badRequest(
      'give models (with a benchmark), two or more runs, or two or more prompt_versions',
    );
  }
  const picked = req.runs.map((want) => {
    const match = view.runs.filter((r) => (typeof want === 'number' ? r.id === want : r.label === want));
    if (match.length === 0) {
      throw errors.badRequest(`unknown run ${JSON.stringify(want)}`, { run: want });
    }
    if (match.length > 1) {
      throw errors.badRequest(`run label "${want}" names ${match.length} runs: give their ids`, {
        run: want,
        ids: match.map((r) => r.id),
      });
    }
    return { want: String(want), run: match[0]!, prompt: null };
  });
  return armsFromRuns(view, picked, req.benchmark, 'runs');
}

/**
 * A/B arms named by stored prompt versions ("name@3"): each resolves to the one run made with it, narrowed by
 * `benchmark` and `model` when given. No such run, or several (other models, benchmarks or repeated runs), is a
 * 400 naming the candidates; then narrow with benchmark or model, or name the runs themselves.
 */
function armsFromPromptVersions(view: CatalogView, req: CompareRequest): ResolvedArms {
  const bench = req.benchmark === undefined ? undefined : view.benchmarks.get(req.benchmark);
  if (req.benchmark !== undefined && !bench) {
    throw errors.notFound('benchmark', req.benchmark, [...view.benchmarks.keys()]);
  }
  const modelId = req.model === undefined ? undefined : view.modelId.get(req.model);
  if (req.model !== undefined && modelId === undefined) {
    throw errors.badRequest(`unknown model "${req.model}"`, { model: req.model });
  }
  const slugOf = (id: number) => [...view.benchmarks.values()].find((b) => b.id === id)?.slug ?? String(id);
  const picked = req.prompt_versions!.map((want) => {
    const at = want.lastIndexOf('@');
    const name = want.slice(0, at);
    const version = Number(want.slice(at + 1));
    const match = view.runs.filter(
      (r) =>
        r.promptName === name &&
        r.promptVersion === version &&
        (bench === undefined || r.benchmarkId === bench.id) &&
        (modelId === undefined || r.modelId === modelId),
    );
    if (match.length === 0) {
      const versions = [
        ...new Set(view.runs.filter((r) => r.promptName === name).map((r) => `${name}@${r.promptVersion}`)),
      ];
      throw errors.badRequest(
        `no run was made with prompt version ${want}${req.benchmark ? ` on "${req.benchmark}"` : ''}${
          req.model ? ` by "${req.model}"` : ''
        }`,
        { prompt_version: want, versions_with_runs: versions },
      );
    }
    if (match.length > 1) {
      throw errors.badRequest(
        `prompt version ${want} resolves to ${match.length} runs: narrow it with benchmark or model, or give runs`,
        {
          prompt_version: want,
          runs: match.map((r) => ({
            run: r.id,
            benchmark: slugOf(r.benchmarkId),
            model: view.modelName.get(r.modelId) ?? String(r.modelId),
          })),
        },
      );
    }
    return { want, run: match[0]!, prompt: want };
  });
  const models = new Set(picked.map((p) => p.run.modelId));
  if (models.size > 1) {
    throw errors.badRequest('the prompt versions resolve to runs of different models: name one with model', {
      runs: picked.map((p) => ({
        prompt_version: p.want,
        run: p.run.id,
        model: view.modelName.get(p.run.modelId),
      })),
    });
  }
  return armsFromRuns(view, picked, req.benchmark, 'prompt_versions');
}

async function computeCompare(
  service: AnalysisService,
  req: CompareRequest,
  version: string,
): Promise<CompareResponse> {
  const engine = service.engine(req.engine);
  const view = await service.catalog();
  const resolved = resolveArms(view, req);
  const selection = resolveQuery(view, {
    benchmark: resolved.benchmark,
    levels: levelNames(req),
    filters: req.filters,
    models: resolved.models,
    runs: resolved.runs,
    unscored: req.unscored,
  });
  const { benchmark: b, levels, runIds } = selection;
  const selected = view.runs.filter((r) => runIds.includes(r.id));
  let arms = resolved.arms;
  if (resolved.mode === 'models') {
    for (const m of resolved.models!) {
      if (!selected.some((r) => r.modelId === view.modelId.get(m))) {
        throw errors.badRequest(`model "${m}" has no run among the selected runs`, {
          model: m,
          runs: req.runs ?? null,
        });
      }
    }
    arms = resolved.models!.map((m) => ({
      name: m,
      run_ids: selected.filter((r) => r.modelId === view.modelId.get(m)).map((r) => r.id),
      models: [m],
      prompt_version: null,
    }));
  }
  const clusterField = usableCluster(b.clusterField, groupable(b));
  const q: ResolvedQuery = {
    ...selection,
    levels: clusterField ? [...levels, clusterField] : levels,
    armByRun: resolved.armByRun,
  };
  const { baseline, challengers } = resolved;
  const idOf = (m: string) => resolved.idOf.get(m)!;
  const L = levels.length;
  const { sql, params } = compilePairHistogram(q, engine.name, req.metric, idOf(baseline), L);
  const raw = await service.run<Record<string, unknown>>(engine, sql, params);

  // group key → { per challenger id: histogram entries; the baseline's item count }
  const groups = new Map<string, Group>();
  let excluded = 0;
  for (const r of raw) {
    const n = Number(r.n);
    if (Number(r.kind) === 1) {
      excluded = n;
      continue;
    }
    const gv: (string | null)[] = [];
    for (let i = 0; i < L; i++) gv.push(text(r[`g${i}`]));
    if (gv.some((v) => v === null)) continue;
    const gk = JSON.stringify(gv);
    let grp = groups.get(gk);
    if (!grp) {
      grp = { values: gv, baselineItems: 0, byModel: new Map() };
      groups.set(gk, grp);
    }
    const model = Number(r.model);
    const xa = num(r.xa);
    const xb = num(r.xb);
    if (model === idOf(baseline)) {
      grp.baselineItems += n;
      continue;
    }
    const list = grp.byModel.get(model) ?? [];
    list.push({ xa: xa!, xb, cluster: clusterField ? text(r[`g${L}`]) : null, n });
    grp.byModel.set(model, list);
  }

  const sortedGroups = [...groups.values()]
    .map((g) => ({ ...g, decoded: g.values.map((v, i) => decodeValue(v, levels[i]!.type)) }))
    .sort((x, y) => {
      for (let i = 0; i < L; i++) {
        const c = compareValues(x.decoded[i] ?? null, y.decoded[i] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    });

  const rows: CompareRow[] = [];
  let fetched = 0;
  for (const e of raw) fetched += Number(e.kind) === 1 ? 0 : Number(e.n);
  for (const model of challengers) {
    const ctx = {
      model,
      baseline,
      alpha: req.alpha,
      metric: req.metric,
      bayes: req.bayes,
      targetDifference: req.target_difference,
    };
    const a = idOf(model);
    const all = sortedGroups.map((g) => ({
      entries: g.byModel.get(a) ?? [],
      baselineItems: g.baselineItems,
    }));
    rows.push(compareGroup(ctx, all, true, {}, clusterField !== null));
    if (L === 0) continue;
    for (const g of sortedGroups) {
      const record: Record<string, MetaValue> = {};
      levels.forEach((f, i) => {
        record[f.name] = g.decoded[i] ?? null;
      });
      rows.push(
        compareGroup(
          ctx,
          [{ entries: g.byModel.get(a) ?? [], baselineItems: g.baselineItems }],
          false,
          record,
          clusterField !== null,
        ),
      );
    }
  }
  if (rows.length > service.options.rowCap) {
    throw errors.tooLarge(
      `the answer has more than ${service.options.rowCap} rows; narrow it with filters, models or fewer levels`,
      { row_cap: service.options.rowCap },
    );
  }
  adjust(
    rows.filter((r) => !r.overall),
    req.correction,
    req.alpha,
  );
  adjust(
    rows.filter((r) => r.overall),
    req.correction,
    req.alpha,
  );
  const response: CompareResponse = {
    benchmark: b.slug,
    mode: resolved.mode,
    models: arms.map((a) => a.name),
    baseline,
    arms,
    target_difference: req.target_difference,
    levels: levels.map((f) => f.name),
    metric: req.metric,
    unscored: req.unscored,
    correction: req.correction,
    alpha: req.alpha,
    rows,
    excluded_items: excluded,
    meta: {
      engine: engine.name,
      elapsed_ms: 0,
      data_version: version,
      cached: false,
      row_count: rows.length,
      items_fetched: fetched,
      cluster_field: clusterField?.name ?? null,
      method: METHOD,
      stderr_method: clusterField ? stderrClustered(clusterField.name) : STDERR_PAIRED,
      correction_family: FAMILY,
    },
  };
  return response;
}

/** Items of one challenger in one group with the same pair of values (and cluster). xb null: no baseline value. */
interface Entry {
  xa: number;
  xb: number | null;
  cluster: string | null;
  n: number;
}

interface Group {
  values: (string | null)[];
  /** Items of the group with a value for the baseline. */
  baselineItems: number;
  byModel: Map<number, Entry[]>;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The declared cluster field, when it is a groupable field of the benchmark (otherwise no clustering). */
function usableCluster(name: string | null, fields: MetadataField[]): MetadataField | null {
  if (!name) return null;
  return fields.find((f) => f.name === name) ?? null;
}

function compareGroup(
  ctx: {
    model: string;
    baseline: string;
    alpha: number;
    metric: 'accuracy' | 'score';
    bayes: boolean;
    targetDifference: number;
  },
  parts: { entries: Entry[]; baselineItems: number }[],
  overall: boolean,
  groups: Record<string, MetaValue>,
  clustered: boolean,
): CompareRow {
  const a: number[] = [];
  const b: number[] = [];
  const clusters: (string | null)[] = [];
  let onlyA = 0;
  let paired = 0;
  let baselineItems = 0;
  for (const part of parts) {
    baselineItems += part.baselineItems;
    // a fixed order (by cluster, then values) so floating sums do not depend on the engine's row order
    const entries = [...part.entries].sort(
      (u, v) =>
        (clustered ? (u.cluster ?? '').localeCompare(v.cluster ?? '') : 0) ||
        u.xa - v.xa ||
        (u.xb ?? -Infinity) - (v.xb ?? -Infinity),
    );
    for (const e of entries) {
      if (e.xb === null) {
        onlyA += e.n;
        continue;
      }
      paired += e.n;
      for (let i = 0; i < e.n; i++) {
        a.push(e.xa);
        b.push(e.xb);
        // an item without a cluster value is a cluster of its own
        if (clustered) clusters.push(e.cluster ?? `\u0000item${a.length}`);
      }
    }
  }
  const stats = pairedStats({
    a,
    b,
    clusters: clustered ? clusters : null,
    alpha: ctx.alpha,
    metric: ctx.metric,
    bayes: ctx.bayes,
    targetDifference: ctx.targetDifference,
  });
  return {
    model: ctx.model,
    baseline: ctx.baseline,
    overall,
    groups,
    only_a: onlyA,
    only_b: baselineItems - paired,
    ...stats,
    p_adjusted: null,
    significant: null,
  };
}

/** Adjusted p-values over one family of rows, in place; untestable rows stay null. */
function adjust(rows: CompareRow[], correction: 'holm' | 'bh' | 'none', alpha: number): void {
  const p = rows.map((r) => r.p_value);
  const adjusted = correction === 'holm' ? holm(p) : correction === 'bh' ? benjaminiHochberg(p) : p;
  rows.forEach((r, i) => {
    const v = adjusted[i] ?? null;
    r.p_adjusted = v;
    r.significant = v === null ? null : v < alpha;
  });
}
