import { errors } from '../../core/errors.ts';
import type { MetadataField, MetaValue } from '../../core/types.ts';
import { encodeValue, notGroupableReason } from '../../store/field-types.ts';
import { type BenchView, type CatalogView, groupable } from './catalog-view.ts';
import { MEASURE_NAMES, type MeasureName } from './measures.ts';
import { type AnalysisRequest, levelNames } from './request.ts';
import { RUN_DIMENSION_NAMES, runDimensionField } from './run-dimensions.ts';

/** A request after gate 2: every name resolved to ids and generated column numbers. */
export interface ResolvedQuery {
  benchmark: BenchView;
  levels: MetadataField[];
  /** Column number → allowed stored values (bound parameters). */
  filters: { field: MetadataField; values: string[] }[];
  runIds: number[];
  unscored: 'exclude' | 'wrong';
  /** True when some (model, item) may have several results: items are averaged first. */
  perItem: boolean;
  passAt: number[];
  majAt: number[];
  /** The measures to report, in catalogue order (measures.ts); absent: all of them. */
  measures?: readonly MeasureName[];
  /** The base rows' `model` column holds the run id instead (A/B tests of runs: each run is an arm). */
  armByRun?: boolean;
}

/** The request's measures in catalogue order (default: all); pass_at / maj_at need their measure. */
export function resolveMeasures(
  req: Pick<AnalysisRequest, 'measures' | 'pass_at' | 'maj_at'>,
): MeasureName[] {
  if (!req.measures) return [...MEASURE_NAMES];
  const asked = new Set(req.measures);
  for (const [option, name] of [
    ['pass_at', 'pass@k'],
    ['maj_at', 'maj@k'],
  ] as const) {
    if (req[option] && !asked.has(name)) {
      throw errors.badRequest(`${option} needs the measure ${name} in measures`, { measures: MEASURE_NAMES });
    }
  }
  return MEASURE_NAMES.filter((n) => asked.has(n));
}

export function resolveBenchmark(view: CatalogView, slug: string): BenchView {
  const b = view.benchmarks.get(slug);
  if (!b) throw errors.notFound('benchmark', slug, [...view.benchmarks.keys()]);
  return b;
}

/** Gate 2 for a field name: must be a groupable field of the benchmark's registered schema. */
export function resolveField(
  b: BenchView,
  name: string,
  where = 'field',
  runDimensions = false,
): MetadataField {
  const f = b.fieldByName.get(name);
  const valid = [...groupable(b).map((x) => x.name), ...(runDimensions ? RUN_DIMENSION_NAMES : [])];
  if (!f) {
    const d = runDimensions ? runDimensionField(name) : null;
    if (d) return d;
    throw errors.unknownField(name, valid, where);
  }
  const reason = notGroupableReason(f);
  if (reason) throw errors.notGroupable(name, reason, valid, where);
  return f;
}

function checkValueType(field: MetadataField, v: MetaValue): void {
  const ok =
    field.type === 'string'
      ? typeof v === 'string'
      : field.type === 'integer'
        ? typeof v === 'number' && Number.isInteger(v)
        : field.type === 'number'
          ? typeof v === 'number'
          : field.type === 'boolean'
            ? typeof v === 'boolean'
            : false;
  if (!ok) {
    throw errors.badRequest(
      `filter value ${JSON.stringify(v)} for field "${field.name}" must be of its type (${field.type})`,
      { field: field.name, type: field.type, value: v },
    );
  }
}

export function resolveFilters(b: BenchView, filters: Record<string, MetaValue[]> | undefined) {
  return Object.entries(filters ?? {}).map(([name, values]) => {
    const field = resolveField(b, name, 'filter field');
    for (const v of values) checkValueType(field, v);
    return { field, values: [...new Set(values.map((v) => encodeValue(v)!))] };
  });
}

/** The runs a request selects: of the benchmark, narrowed by models and runs (ids or labels). */
export function resolveRuns(
  view: CatalogView,
  b: BenchView,
  models?: string[],
  runs?: (number | string)[],
): number[] {
  const ofBenchmark = view.runs.filter((r) => r.benchmarkId === b.id);
  let selected = ofBenchmark;
  if (models) {
    const known = new Set(ofBenchmark.map((r) => view.modelName.get(r.modelId)!));
    const ids = new Set<number>();
    for (const m of models) {
      if (!known.has(m)) throw errors.notFound('model', m, [...known].sort());
      ids.add(view.modelId.get(m)!);
    }
    selected = selected.filter((r) => ids.has(r.modelId));
  }
  if (runs) {
    // a run id or label must exist in the benchmark; combined with models it narrows the selection
    const picked = new Set<number>();
    for (const want of runs) {
      const match = ofBenchmark.filter((r) => (typeof want === 'number' ? r.id === want : r.label === want));
      if (match.length === 0) {
        throw errors.notFound('run', String(want), [
          ...new Set(ofBenchmark.map((r) => `${r.id} (${r.label})`)),
        ]);
      }
      for (const r of match) picked.add(r.id);
    }
    selected = selected.filter((r) => picked.has(r.id));
  }
  return selected.map((r) => r.id);
}

/** The runs among `runIds` made with one of the stored prompt versions (`3`: any prompt's; `NAME@3`). */
export function resolvePromptVersions(
  view: CatalogView,
  runIds: number[],
  versions: (number | string)[],
): number[] {
  const among = view.runs.filter((r) => runIds.includes(r.id));
  const known = [
    ...new Set(among.flatMap((r) => (r.promptName === null ? [] : [`${r.promptName}@${r.promptVersion}`]))),
  ].sort();
  const picked = new Set<number>();
  for (const want of versions) {
    const match = among.filter((r) =>
      typeof want === 'number' ? r.promptVersion === want : `${r.promptName}@${r.promptVersion}` === want,
    );
    if (match.length === 0) throw errors.notFound('prompt version', String(want), known);
    for (const r of match) picked.add(r.id);
  }
  return runIds.filter((id) => picked.has(id));
}

/**
 * True when a (model, item) can have several results among these runs (samples, or several runs of one
 * model): values must then be aggregated per item first. Otherwise each result row is its item's value.
 */
export function severalPerItem(view: CatalogView, runIds: readonly number[]): boolean {
  const runs = view.runs.filter((r) => runIds.includes(r.id));
  const perModel = new Map<number, number>();
  for (const r of runs) perModel.set(r.modelId, (perModel.get(r.modelId) ?? 0) + 1);
  return runs.some((r) => r.maxSample > 0) || [...perModel.values()].some((n) => n > 1);
}

/** The query over chosen runs of a benchmark, with the defaults every reader shares (no levels, filters, k). */
export function queryOver(
  b: BenchView,
  runIds: number[],
  options: { perItem: boolean } & Partial<Omit<ResolvedQuery, 'benchmark' | 'runIds'>>,
): ResolvedQuery {
  return {
    benchmark: b,
    levels: [],
    filters: [],
    runIds,
    unscored: 'exclude',
    passAt: [],
    majAt: [],
    ...options,
  };
}

/** What a read request selects, by name: the one resolution step of /analysis, /compare, items and trends. */
export interface Selection {
  benchmark: string;
  levels?: string[];
  filters?: Record<string, MetaValue[]> | undefined;
  models?: string[] | undefined;
  runs?: (number | string)[] | undefined;
  /** Stored prompt versions (`3`, or `NAME@3`): the runs made with them (/analysis). */
  promptVersions?: (number | string)[] | undefined;
  /** Levels may name run dimensions (prompt, prompt_version): /analysis only, whose compiler reads them. */
  runDimensions?: boolean;
  unscored?: 'exclude' | 'wrong';
  passAt?: number[] | undefined;
  majAt?: number[] | undefined;
  measures?: readonly MeasureName[];
  /** Averages items first even with one result per (model, item). */
  perItem?: boolean;
}

/** Gate 2: every name of a selection resolved to ids and generated column numbers (404/400 otherwise). */
export function resolveQuery(view: CatalogView, s: Selection): ResolvedQuery {
  const b = resolveBenchmark(view, s.benchmark);
  const names = s.levels ?? [];
  if (names.length > 3) throw errors.badRequest('at most 3 levels');
  if (new Set(names).size !== names.length)
    throw errors.badRequest(`levels repeat a field: ${names.join(', ')}`);
  const levels = names.map((n) => resolveField(b, n, 'level field', s.runDimensions ?? false));
  const filters = resolveFilters(b, s.filters);
  let runIds = resolveRuns(view, b, s.models, s.runs);
  if (s.promptVersions) runIds = resolvePromptVersions(view, runIds, s.promptVersions);
  const passAt = s.passAt ?? [];
  const majAt = s.majAt ?? [];
  const perItem = s.perItem || severalPerItem(view, runIds) || passAt.length > 0 || majAt.length > 0;
  return {
    ...queryOver(b, runIds, { perItem, levels, filters, unscored: s.unscored ?? 'exclude', passAt, majAt }),
    ...(s.measures ? { measures: s.measures } : {}),
  };
}

export function resolveAnalysis(view: CatalogView, req: AnalysisRequest): ResolvedQuery {
  return resolveQuery(view, {
    benchmark: req.benchmark,
    levels: levelNames(req),
    filters: req.filters,
    models: req.models,
    runs: req.runs,
    promptVersions: req.prompt_versions,
    runDimensions: true,
    unscored: req.unscored,
    passAt: req.pass_at,
    majAt: req.maj_at,
    measures: resolveMeasures(req),
  });
}
