import { addSums, fromSums, type Sums } from '../../core/stats/stderr.ts';
import type { MetaValue } from '../../core/types.ts';
import { compareValues, decodeValue } from '../../store/field-types.ts';
import type { CatalogView } from './catalog-view.ts';
import { type ItemStats, MEASURE_NAMES, measure } from './measures.ts';
import type { ResolvedQuery } from './resolve.ts';

/**
 * One aggregate row as the compiled SQL returns it (numbers already plain JS numbers): the keys, the item
 * statistics, and a column per selected sample measure (measures.ts: latency_ms_p50, tokens_in, …).
 */
export interface RawRow extends ItemStats {
  model: number;
  g0?: string | null;
  g1?: string | null;
  g2?: string | null;
  [sampleMeasure: string]: number | string | null | undefined;
}

export interface Estimate {
  n: number;
  value: number | null;
  stderr: number | null;
}

/** An answer row: the measures the request selected (measures.ts declares their types), by name. */
export interface AnalysisRow {
  model: string;
  groups: Record<string, MetaValue>;
  n: number;
  n_items: number;
  n_samples: number;
  correct: number;
  unscored: number;
  errors: number;
  accuracy: number | null;
  stderr: number | null;
  ci95: [number, number] | null;
  mean_score: number | null;
  mean_score_stderr: number | null;
  [measure: string]: unknown;
  [passOrMaj: `pass@${number}` | `maj@${number}`]: Estimate;
}

export interface Totals {
  model: string;
  /** Every item weighs 1 (item-weighted mean over the whole selection). */
  micro: { n: number; accuracy: number | null; stderr: number | null };
  /** Unweighted mean of the Level1 groups' accuracies; stderr √(Σ se²)/G. */
  macro: { n: number; groups: number; accuracy: number | null; stderr: number | null };
}

const pSums = (r: RawRow): Sums => ({ n: r.n_items, sum: r.sum_p ?? 0, sumSq: r.sum_p2 ?? 0 });

/** The group columns of an aggregate row, one per level (compile.ts names them g0..g2). */
export const LEVEL_KEYS = ['g0', 'g1', 'g2'] as const;

export function groupKey(r: Pick<RawRow, 'model' | 'g0' | 'g1' | 'g2'>, levels: number): string {
  const parts: unknown[] = [r.model];
  for (let i = 0; i < levels; i++) parts.push(r[LEVEL_KEYS[i]!]);
  return JSON.stringify(parts);
}

/** Splits rows with a NULL group key off (pandas groupby semantics) and counts their results. */
export function dropNullGroups(q: ResolvedQuery, rows: RawRow[]): { kept: RawRow[]; excluded: number } {
  let excluded = 0;
  const kept: RawRow[] = [];
  const keys = LEVEL_KEYS.slice(0, q.levels.length);
  for (const r of rows) {
    if (keys.some((k) => r[k] == null)) excluded += r.n_samples;
    else kept.push(r);
  }
  return { kept, excluded };
}

/**
 * Builds answer rows for one query. Group values repeat across rows (a few distinct per level), so each
 * distinct stored value is decoded once.
 */
export function rowBuilder(q: ResolvedQuery, view: CatalogView): (r: RawRow) => AnalysisRow {
  // the selected measures' values, in catalogue order; sample measures are the SQL's column of that name
  const measures: { name: string; value: (r: RawRow) => unknown }[] = [];
  for (const name of q.measures ?? MEASURE_NAMES) {
    const m = measure(name);
    if (m.kind === 'items') measures.push({ name, value: m.value });
    else if (m.kind !== 'estimator') measures.push({ name, value: (r) => r[name] ?? null });
  }
  const levels = q.levels.map((f, i) => ({
    name: f.name,
    type: f.type,
    key: LEVEL_KEYS[i]!,
    decoded: new Map(),
  }));
  // Every row is a copy of one template with the answer's keys in order: objects given 20-odd keys one by one
  // through computed names fall back to V8's dictionary mode, slower to fill, to read, to serialize and to collect.
  const template = Object.fromEntries(
    ['model', 'groups', ...measures.map((m) => m.name)].map((k) => [k, null]),
  );
  return (r) => {
    const groups: Record<string, MetaValue> = {};
    for (const l of levels) {
      const stored = (r[l.key] as string | null | undefined) ?? null;
      let v = l.decoded.get(stored) as MetaValue | undefined;
      if (v === undefined) {
        v = decodeValue(stored, l.type);
        l.decoded.set(stored, v);
      }
      groups[l.name] = v;
    }
    const row: Record<string, unknown> = { ...template };
    row.model = view.modelName.get(r.model) ?? String(r.model);
    row.groups = groups;
    for (const m of measures) row[m.name] = m.value(r);
    return row as AnalysisRow;
  };
}

/** Orders rows by model name, then by each level's values in the field's natural order. */
export function sortRows(q: ResolvedQuery, rows: AnalysisRow[]): AnalysisRow[] {
  return rows.sort((a, b) => {
    if (a.model !== b.model) return a.model < b.model ? -1 : 1;
    for (const f of q.levels) {
      const c = compareValues(a.groups[f.name] ?? null, b.groups[f.name] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** Per model: micro over all kept rows, macro over the Level1 groups. */
export function computeTotals(view: CatalogView, rows: RawRow[]): Totals[] {
  const byModel = new Map<number, RawRow[]>();
  for (const r of rows) {
    const list = byModel.get(r.model);
    if (list) list.push(r);
    else byModel.set(r.model, [r]);
  }
  const out: Totals[] = [];
  for (const [model, list] of byModel) {
    const micro = fromSums(addSums(list.map(pSums)));
    const level1 = new Map<string | null | undefined, RawRow[]>();
    for (const r of list) {
      const l = level1.get(r.g0);
      if (l) l.push(r);
      else level1.set(r.g0, [r]);
    }
    const groups = [...level1.values()]
      .map((g) => fromSums(addSums(g.map(pSums))))
      .filter((g) => g.mean !== null);
    const G = groups.length;
    const macroAcc = G > 0 ? groups.reduce((s, g) => s + g.mean!, 0) / G : null;
    const macroSe =
      G > 0 && groups.every((g) => g.stderr !== null)
        ? Math.sqrt(groups.reduce((s, g) => s + g.stderr! ** 2, 0)) / G
        : null;
    out.push({
      model: view.modelName.get(model) ?? String(model),
      micro: { n: micro.n, accuracy: micro.mean, stderr: micro.stderr },
      macro: { n: micro.n, groups: G, accuracy: macroAcc, stderr: macroSe },
    });
  }
  return out.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}
