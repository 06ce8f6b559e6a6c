import { addSums, fromSums, type Sums } from '../../core/stats/stderr.ts';
import { wilsonFromProportion } from '../../core/stats/wilson.ts';
import type { MetaValue } from '../../core/types.ts';
import { compareValues, decodeValue } from '../../store/field-types.ts';
import type { CatalogView } from './catalog-view.ts';
import type { ResolvedQuery } from './resolve.ts';

/** One aggregate row as the compiled SQL returns it (numbers already plain JS numbers). */
export interface RawRow {
  model: number;
  g0?: string | null;
  g1?: string | null;
  g2?: string | null;
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
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
}

export interface Estimate {
  n: number;
  value: number | null;
  stderr: number | null;
}

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
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
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
const sSums = (r: RawRow): Sums => ({ n: r.n_score, sum: r.sum_s ?? 0, sumSq: r.sum_s2 ?? 0 });

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
  const levels = q.levels.map((f, i) => ({
    name: f.name,
    type: f.type,
    key: LEVEL_KEYS[i]!,
    decoded: new Map(),
  }));
  return (r) => {
    const acc = fromSums(pSums(r));
    const score = fromSums(sSums(r));
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
    return {
      model: view.modelName.get(r.model) ?? String(r.model),
      groups,
      n: r.n,
      n_items: r.n_items,
      n_samples: r.n_samples,
      correct: r.correct,
      unscored: r.unscored,
      errors: r.errors,
      accuracy: acc.mean,
      stderr: acc.stderr,
      ci95: acc.mean === null ? null : wilsonFromProportion(acc.mean, acc.n),
      mean_score: score.mean,
      mean_score_stderr: score.stderr,
      latency_ms_p50: r.latency_ms_p50,
      latency_ms_p95: r.latency_ms_p95,
      tokens_in: r.tokens_in,
      tokens_out: r.tokens_out,
      cost_usd: r.cost_usd,
    } as AnalysisRow;
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
