import type { AnalysisRow, Totals } from '../analysis/assemble.ts';
import { MEASURE_NAMES, type MeasureName, measure } from '../analysis/measures.ts';
import type { AnalysisResponse } from '../analysis/service.ts';
import type { CompareResponse } from '../compare/service.ts';
import type { Cell, Column, ColumnFormat, Table } from './document.ts';

/**
 * Answers as tables: the one flattening of an answer into columns, read by the Arrow stream of POST /analysis
 * and by every export format. Measure columns come from the catalogue in its order: a scalar is one column,
 * an interval two (<name>_low, <name>_high), pass@k / maj@k two per k (<k>, <k>_stderr).
 */

interface Getter {
  column: Column;
  get: (r: AnalysisRow) => Cell;
}

const asCell = (v: unknown): Cell =>
  v === null || v === undefined
    ? null
    : typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean'
      ? v
      : String(v);

/** The measure columns of rows, in catalogue order; estimator columns for each k the rows carry. */
export function measureColumns(selected: readonly MeasureName[], rows: readonly AnalysisRow[]): Getter[] {
  const out: Getter[] = [];
  for (const name of selected) {
    const m = measure(name);
    const base = { format: m.format, description: m.description };
    if (m.type === 'count' || m.type === 'number') {
      out.push({ column: { key: name, label: m.label, ...base }, get: (r) => asCell(r[name]) });
    } else if (m.type === 'interval') {
      const at = (i: 0 | 1) => (r: AnalysisRow) => (r[name] as [number, number] | null)?.[i] ?? null;
      out.push({ column: { key: `${name}_low`, label: `${m.label} low`, ...base }, get: at(0) });
      out.push({ column: { key: `${name}_high`, label: `${m.label} high`, ...base }, get: at(1) });
    } else if (m.kind === 'estimator') {
      const prefix = m.option === 'pass_at' ? 'pass@' : 'maj@';
      const ks = new Set<number>();
      for (const r of rows)
        for (const k of Object.keys(r)) if (k.startsWith(prefix)) ks.add(Number(k.slice(prefix.length)));
      for (const k of [...ks].sort((a, b) => a - b)) {
        const key = `${prefix}${k}`;
        const est = (r: AnalysisRow) =>
          r[key as `pass@${number}`] as { value: number | null; stderr: number | null };
        out.push({ column: { key, label: key, ...base }, get: (r) => est(r)?.value ?? null });
        out.push({
          column: { key: `${key}_stderr`, label: `${key} stderr`, ...base },
          get: (r) => est(r)?.stderr ?? null,
        });
      }
    }
  }
  return out;
}

/** A format for a column of values: numbers stay numbers (counts when whole), the rest text. */
export function valuesFormat(values: readonly unknown[]): ColumnFormat {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'boolean')) return 'boolean';
  if (present.length > 0 && present.every((v) => typeof v === 'number'))
    return present.every((v) => Number.isInteger(v)) ? 'count' : 'number';
  return 'text';
}

/** Level columns named after their field; `level_<name>` when that collides with another column. */
function levelColumns(
  levels: readonly string[],
  taken: Set<string>,
  rows: readonly { groups: Record<string, unknown> }[],
) {
  return levels.map((level) => {
    const key = taken.has(level) ? `level_${level}` : level;
    taken.add(key);
    const values = rows.map((r) => r.groups[level] ?? null);
    const format = valuesFormat(values);
    return {
      column: { key, label: level, format } satisfies Column,
      get: (r: { groups: Record<string, unknown> }): Cell => {
        const v = r.groups[level] ?? null;
        return format === 'text' && v !== null ? String(v) : asCell(v);
      },
    };
  });
}

export interface AnalysisTableOptions {
  /** Append each model's micro and macro totals as marked rows (xlsx, pdf); machine formats leave them out. */
  totals?: boolean;
  name?: string;
  title?: string;
}

/** POST /analysis's answer as a table: model, the level fields, the selected measures. */
export function analysisTable(
  res: AnalysisResponse,
  selected: readonly MeasureName[] = MEASURE_NAMES,
  opts: AnalysisTableOptions = {},
): Table {
  const measures = measureColumns(selected, res.rows);
  const taken = new Set(['model', ...measures.map((m) => m.column.key)]);
  const levels = levelColumns(res.levels, taken, res.rows);
  const columns: Column[] = [
    { key: 'model', label: 'model', format: 'text' },
    ...levels.map((l) => l.column),
    ...measures.map((m) => m.column),
  ];
  const rows: Cell[][] = res.rows.map((r) => [
    r.model,
    ...levels.map((l) => l.get(r)),
    ...measures.map((m) => m.get(r)),
  ]);
  const marks: Table['marks'] = rows.map(() => null);
  if (opts.totals && res.levels.length > 0) {
    for (const t of res.totals) {
      for (const kind of ['micro', 'macro'] as const) {
        rows.push(totalsRow(t, kind, columns, levels.length));
        marks.push(kind);
      }
    }
  }
  return {
    name: opts.name ?? 'analysis',
    title: opts.title ?? (res.levels.length ? `accuracy by ${res.levels.join(' › ')}` : 'accuracy per model'),
    columns,
    rows,
    keyColumns: 1 + levels.length,
    ...(opts.totals ? { marks } : {}),
  };
}

function totalsRow(t: Totals, kind: 'micro' | 'macro', columns: Column[], nLevels: number): Cell[] {
  const v = t[kind];
  const label = kind === 'micro' ? 'all items (micro)' : `mean of groups (macro, ${t.macro.groups})`;
  return columns.map((c, i) => {
    if (i === 0) return t.model;
    if (i === 1 && nLevels > 0) return label;
    if (c.key === 'n' || c.key === 'accuracy' || c.key === 'stderr') return v[c.key];
    return null;
  });
}

/** POST /compare's answer as a table: one row per model × group (and the overall rows, marked). */
export function compareTable(res: CompareResponse): Table {
  const taken = new Set<string>(['model', 'baseline']);
  const levels = levelColumns(res.levels, taken, res.rows);
  const share = res.metric === 'accuracy' ? 'share' : 'number';
  const diffFormat: ColumnFormat = res.metric === 'accuracy' ? 'signed_share' : 'number';
  type R = CompareResponse['rows'][number];
  const cols: { column: Column; get: (r: R) => Cell }[] = [
    { column: { key: 'model', label: 'model (A)', format: 'text' }, get: (r) => r.model },
    { column: { key: 'baseline', label: 'baseline (B)', format: 'text' }, get: (r) => r.baseline },
    ...levels.map((l) => ({ column: l.column, get: (r: R) => (r.overall ? 'overall' : l.get(r)) })),
    { column: { key: 'n_paired', label: 'paired items', format: 'count' }, get: (r) => r.n_paired },
    { column: { key: 'value_a', label: `${res.metric} A`, format: share }, get: (r) => r.accuracy_a },
    { column: { key: 'value_b', label: `${res.metric} B`, format: share }, get: (r) => r.accuracy_b },
    {
      column: {
        key: 'diff',
        label: 'A − B',
        format: diffFormat,
        description: 'mean of the paired differences',
      },
      get: (r) => r.diff,
    },
    {
      column: { key: 'ci95_low', label: '95 % CI low', format: diffFormat },
      get: (r) => r.ci95?.[0] ?? null,
    },
    {
      column: { key: 'ci95_high', label: '95 % CI high', format: diffFormat },
      get: (r) => r.ci95?.[1] ?? null,
    },
    { column: { key: 'p_value', label: 'p', format: 'pvalue' }, get: (r) => r.p_value },
    {
      column: { key: 'p_adjusted', label: `p (${res.correction})`, format: 'pvalue' },
      get: (r) => r.p_adjusted,
    },
    {
      column: { key: 'significant', label: `significant (α ${res.alpha})`, format: 'boolean' },
      get: (r) => r.significant,
    },
    {
      column: {
        key: 'prob_a_greater_b',
        label: 'P(A > B)',
        format: 'pvalue',
        description: 'Bayesian, Beta(1,1) priors',
      },
      get: (r) => r.bayes?.prob_a_greater_b ?? null,
    },
    { column: { key: 'method', label: 'test', format: 'text' }, get: (r) => r.method },
    { column: { key: 'stderr', label: 'stderr', format: share }, get: (r) => r.stderr },
    {
      column: {
        key: 'mde',
        label: 'min. detectable diff',
        format: share,
        description: '80 % power at alpha',
      },
      get: (r) => r.power?.mde ?? null,
    },
    { column: { key: 'only_a', label: 'only A', format: 'count' }, get: (r) => r.only_a },
    { column: { key: 'only_b', label: 'only B', format: 'count' }, get: (r) => r.only_b },
  ];
  // overall rows first (the headline), then the groups
  const ordered = [...res.rows].sort((a, b) => Number(b.overall) - Number(a.overall));
  return {
    name: 'compare',
    title: `paired comparison (${res.metric}, ${res.correction} correction)`,
    columns: cols.map((c) => c.column),
    rows: ordered.map((r) => cols.map((c) => c.get(r))),
    keyColumns: 2 + levels.length,
    marks: ordered.map((r) => (r.overall && res.levels.length > 0 ? 'overall' : null)),
  };
}

/** Rows of plain objects as a table, the columns given (items analysis, summary). */
export function objectTable<T>(
  name: string,
  title: string,
  keyColumns: number,
  columns: { column: Column; get: (r: T) => unknown }[],
  rows: readonly T[],
): Table {
  return {
    name,
    title,
    columns: columns.map((c) => c.column),
    rows: rows.map((r) => columns.map((c) => asCell(c.get(r)))),
    keyColumns,
  };
}
