import { fromSums, type Sums } from '../../core/stats/stderr.ts';
import { wilsonFromProportion } from '../../core/stats/wilson.ts';
import type { ColumnFormat } from '../exports/document.ts';

/**
 * The measures an analysis can report, each declared once. The compiler (compile.ts) reads how a measure is
 * aggregated in SQL, the row assembly (assemble.ts) how its value is computed from the aggregate row, the
 * Arrow writer (arrow.ts) and the OpenAPI response schema of POST /analysis its type, the request's
 * `measures` its name (measures.ts), the dashboards its names and labels: this module has no zod, so the
 * browser bundle can read it. Adding a measure is adding an entry here.
 *
 * Four kinds:
 * - `items`: computed after the query from the per-group item statistics (n_samples, n, correct, unscored, errors,
 *   n_items, sum_p, sum_p2, n_score, sum_s, sum_s2) that every aggregate query returns: they are the
 *   accuracy core, cheap counts over the same GROUP BY, and the totals roll up from them.
 * - `sample`: an aggregate over the group's result rows, its SQL per dialect; compiled only when asked.
 * - `quantile`: the nearest-rank quantile (the smallest value with at least q·n values at or below it) of a
 *   stored per-result duration; DuckDB's quantile_disc, MySQL by window functions; compiled only when asked.
 * - `estimator`: pass@k / maj@k, computed after a query of their own, for the k values of pass_at / maj_at.
 */

/** The per-group item statistics every aggregate row carries (compile.ts produces them). */
export interface ItemStats {
  n_samples: number;
  n: number;
  correct: number;
  unscored: number;
  errors: number;
  n_items: number;
  sum_p: number | null;
  sum_p2: number | null;
  n_score: number;
  sum_s: number | null;
  sum_s2: number | null;
}

/** The value types a measure has in the answer; the response schema and the Arrow columns follow them. */
export type MeasureType = 'count' | 'number' | 'interval' | 'estimates';

interface Common {
  description: string;
  type: MeasureType;
  /** How exports and charts show a value (a share is a proportion shown as a percent). */
  format: ColumnFormat;
  /** The header a person reads (xlsx, pdf, charts). */
  label: string;
  /** How the measure rolls up into `totals` (micro: items pooled, macro: mean of the Level1 groups). */
  totals: 'micro and macro' | 'none';
}
/** Columns of `results` a measure reads (identifiers of ours, never user text). */
type ResultColumn = 'latency_ms' | 'ttft_ms' | 'tokens_in' | 'tokens_out' | 'cost_usd';

export type Measure = Common &
  (
    | { kind: 'items'; value: (s: ItemStats) => unknown }
    | { kind: 'sample'; column: ResultColumn; sql: { duckdb: string; mysql: string } }
    | { kind: 'quantile'; column: ResultColumn; q: number }
    | { kind: 'estimator'; option: 'pass_at' | 'maj_at' }
  );

const pSums = (r: ItemStats): Sums => ({ n: r.n_items, sum: r.sum_p ?? 0, sumSq: r.sum_p2 ?? 0 });
const sSums = (r: ItemStats): Sums => ({ n: r.n_score, sum: r.sum_s ?? 0, sumSq: r.sum_s2 ?? 0 });

const items = (
  type: MeasureType,
  shown: Pick<Common, 'label' | 'format'>,
  description: string,
  value: (s: ItemStats) => unknown,
  totals: Common['totals'] = 'none',
): Measure => ({ kind: 'items', type, ...shown, description, value, totals });
const sum = (
  column: ResultColumn,
  shown: Pick<Common, 'label' | 'format'>,
  description: string,
): Measure => ({
  kind: 'sample',
  type: 'number',
  ...shown,
  description,
  column,
  sql: { duckdb: `sum(${column})`, mysql: `SUM(${column})` },
  totals: 'none',
});
const quantile = (
  column: ResultColumn,
  q: number,
  shown: Pick<Common, 'label' | 'format'>,
  description: string,
): Measure => ({
  kind: 'quantile',
  type: 'number',
  ...shown,
  description,
  column,
  q,
  totals: 'none',
});

/** In answer order (the JSON rows' keys and the Arrow columns follow it). */
export const MEASURES = {
  n: items(
    'count',
    { label: 'n', format: 'count' },
    'scored samples (correct + incorrect, + unscored when counted wrong)',
    (s) => s.n,
    'micro and macro',
  ),
  n_items: items(
    'count',
    { label: 'items', format: 'count' },
    'items with at least one scored sample',
    (s) => s.n_items,
  ),
  n_samples: items(
    'count',
    { label: 'samples', format: 'count' },
    'result rows in the group, errors and unscored included',
    (s) => s.n_samples,
  ),
  correct: items('count', { label: 'correct', format: 'count' }, 'correct samples', (s) => s.correct),
  unscored: items('count', { label: 'unscored', format: 'count' }, 'unscored samples', (s) => s.unscored),
  errors: items(
    'count',
    { label: 'errors', format: 'count' },
    'samples that failed (never counted in n)',
    (s) => s.errors,
  ),
  accuracy: items(
    'number',
    { label: 'accuracy', format: 'share' },
    "mean over items of each item's share of correct scored samples (every item weighs 1)",
    (s) => fromSums(pSums(s)).mean,
    'micro and macro',
  ),
  stderr: items(
    'number',
    { label: 'stderr', format: 'share' },
    'standard error of accuracy: sample sd of the item means / sqrt(items)',
    (s) => fromSums(pSums(s)).stderr,
    'micro and macro',
  ),
  ci95: items(
    'interval',
    { label: '95 % CI', format: 'share' },
    'Wilson score interval (z = 1.959964) of accuracy on items',
    (s) => {
      const a = fromSums(pSums(s));
      return a.mean === null ? null : wilsonFromProportion(a.mean, a.n);
    },
  ),
  mean_score: items(
    'number',
    { label: 'mean score', format: 'number' },
    "mean over items of each item's mean score",
    (s) => fromSums(sSums(s)).mean,
  ),
  mean_score_stderr: items(
    'number',
    { label: 'score stderr', format: 'number' },
    'standard error of mean_score',
    (s) => fromSums(sSums(s)).stderr,
  ),
  latency_ms_p50: quantile(
    'latency_ms',
    0.5,
    { label: 'latency p50 (ms)', format: 'ms' },
    'median latency in ms (nearest rank)',
  ),
  latency_ms_p95: quantile(
    'latency_ms',
    0.95,
    { label: 'latency p95 (ms)', format: 'ms' },
    '95th percentile latency in ms (nearest rank)',
  ),
  ttft_ms_p50: quantile(
    'ttft_ms',
    0.5,
    { label: 'TTFT p50 (ms)', format: 'ms' },
    'median time to first token in ms (nearest rank)',
  ),
  ttft_ms_p95: quantile(
    'ttft_ms',
    0.95,
    { label: 'TTFT p95 (ms)', format: 'ms' },
    '95th percentile time to first token in ms (nearest rank)',
  ),
  tokens_in: sum('tokens_in', { label: 'tokens in', format: 'tokens' }, 'prompt tokens, summed'),
  tokens_out: sum('tokens_out', { label: 'tokens out', format: 'tokens' }, 'completion tokens, summed'),
  cost_usd: sum('cost_usd', { label: 'cost (USD)', format: 'usd' }, 'cost in USD, summed'),
  'pass@k': {
    kind: 'estimator',
    option: 'pass_at',
    type: 'estimates',
    label: 'pass@',
    format: 'share',
    description: 'unbiased pass@k (Chen et al. 2021) per k of pass_at, as pass@<k>: {n, value, stderr}',
    totals: 'none',
  },
  'maj@k': {
    kind: 'estimator',
    option: 'maj_at',
    type: 'estimates',
    label: 'maj@',
    format: 'share',
    description: 'majority vote of the first k samples per k of maj_at, as maj@<k>: {n, value, stderr}',
    totals: 'none',
  },
} satisfies Record<string, Measure>;

export type MeasureName = keyof typeof MEASURES;
export const MEASURE_NAMES = Object.keys(MEASURES) as [MeasureName, ...MeasureName[]];
export const measure = (name: MeasureName): Measure => MEASURES[name];

/** Quantiles of each column the selection asks for, in catalogue order: one sort per column. */
export function quantilesByColumn(
  selected: readonly MeasureName[],
): Map<ResultColumn, { name: string; q: number }[]> {
  const out = new Map<ResultColumn, { name: string; q: number }[]>();
  for (const name of selected) {
    const m = measure(name);
    if (m.kind !== 'quantile') continue;
    const list = out.get(m.column) ?? [];
    list.push({ name, q: m.q });
    out.set(m.column, list);
  }
  return out;
}

/** The sample aggregates the selection asks for. */
export function sampleAggregates(
  selected: readonly MeasureName[],
): { name: string; column: ResultColumn; sql: { duckdb: string; mysql: string } }[] {
  const out = [];
  for (const name of selected) {
    const m = measure(name);
    if (m.kind === 'sample') out.push({ name, column: m.column, sql: m.sql });
  }
  return out;
}

/** Columns of the aggregate row the SQL returns for the selection, beyond keys and item statistics. */
export function sqlColumns(selected: readonly MeasureName[]): string[] {
  return selected.filter((n) => {
    const k = measure(n).kind;
    return k === 'quantile' || k === 'sample';
  });
}

/** The result columns the selection reads (the base rows carry only these). */
export function resultColumns(selected: readonly MeasureName[]): ResultColumn[] {
  const cols = new Set<ResultColumn>();
  for (const name of selected) {
    const m = measure(name);
    if (m.kind === 'quantile' || m.kind === 'sample') cols.add(m.column);
  }
  return [...cols];
}
