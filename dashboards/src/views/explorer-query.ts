/**
 * The explorer's state, read from the URL: which benchmark, levels, models, filters and measures, and the
 * requests they make (the cascade's options requests and the analysis). Parameters: `benchmark`, `l1` `l2` `l3`,
 * `model` (repeated), `f.<field>` (repeated values), `measure` (repeated), `pass_at` / `maj_at` (k lists),
 * `unscored`. Filter values travel as text and are typed again from the benchmark's metadata (`{"year": [2024]}`,
 * not `"2024"`: the API does not coerce).
 */
import type { MeasureName } from '../../../api/analysis/measure-catalog.ts';
import { MEASURE_NAMES } from '../../../api/analysis/measure-catalog.ts';
import type { MetadataResponse, OptionsRequest } from '../../../api/routes/benchmarks.ts';
import type { MetaValue } from '../../../core/types.ts';
import { list } from '../state.ts';

type Field = MetadataResponse['fields'][number];
export type Filters = Record<string, (string | number | boolean)[]>;

/** What the table and the charts always need: counts (n, items: a small group is one of few items), accuracy. */
export const ALWAYS: readonly MeasureName[] = ['n', 'n_items', 'accuracy', 'ci95'];
/** The measures a user may add (the catalogue's, in its order). */
export const OPTIONAL: readonly MeasureName[] = MEASURE_NAMES.filter((m) => !ALWAYS.includes(m));

/** A group of fewer items than this is marked small: its 95 % interval is wide (±9 points or more at 30). */
export const SMALL_ITEMS = 30;

export const FILTER_PREFIX = 'f.';

/** A filter value as the field's type: the metadata's own value when it lists it, else converted by type. */
export function typed(field: Field, text: string): string | number | boolean | null {
  const known = field.values.find((v) => String(v.value) === text);
  if (known) return known.value as Exclude<MetaValue, null>;
  if (field.type === 'integer' || field.type === 'number') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : null;
  }
  if (field.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : null;
  return text;
}

/** The filters of the URL on groupable fields of this benchmark, typed; fields without values are left out. */
export function readFilters(params: URLSearchParams, fields: readonly Field[]): Filters {
  const out: Filters = {};
  for (const f of fields) {
    if (!f.groupable) continue;
    const vals = list(params, FILTER_PREFIX + f.name)
      .map((t) => typed(f, t))
      .filter((v): v is string | number | boolean => v !== null);
    if (vals.length) out[f.name] = vals;
  }
  return out;
}

/** k values of `pass_at` / `maj_at`: whole numbers 1–1000, distinct, at most 10 (the API's limits). */
export function readKs(text: string | null, fallback: number[]): number[] {
  if (text === null) return fallback;
  const ks = [...new Set(text.split(/[\s,]+/).map(Number))].filter(
    (k) => Number.isInteger(k) && k >= 1 && k <= 1000,
  );
  return ks.length ? ks.slice(0, 10) : fallback;
}

/** The options request of the next level after `chosen` (one or two levels), with the values the filters keep. */
export function optionsRequest(chosen: readonly string[], filters: Filters): OptionsRequest {
  const [l1, l2] = chosen;
  const body: OptionsRequest = { level1: l1! };
  if (filters[l1!]) body.level1_values = filters[l1!];
  if (l2 !== undefined) {
    body.level2 = l2;
    if (filters[l2]) body.level2_values = filters[l2];
  }
  return body;
}

export interface ExplorerQuery {
  benchmark: string;
  levels: string[];
  models?: string[];
  filters?: Filters;
  unscored: 'exclude' | 'wrong';
  measures: MeasureName[];
  pass_at?: number[];
  maj_at?: number[];
}

/** The POST /analysis body of the explorer's state (also the export's query). */
export function analysisQuery(s: {
  benchmark: string;
  levels: string[];
  models: string[];
  filters: Filters;
  unscored: 'exclude' | 'wrong';
  extra: readonly MeasureName[];
  passAt: number[];
  majAt: number[];
}): ExplorerQuery {
  const wanted = new Set([...ALWAYS, ...s.extra]);
  const q: ExplorerQuery = {
    benchmark: s.benchmark,
    levels: s.levels,
    unscored: s.unscored,
    measures: MEASURE_NAMES.filter((m) => wanted.has(m)),
  };
  if (s.models.length) q.models = s.models;
  if (Object.keys(s.filters).length) q.filters = s.filters;
  if (wanted.has('pass@k')) q.pass_at = s.passAt;
  if (wanted.has('maj@k')) q.maj_at = s.majAt;
  return q;
}
