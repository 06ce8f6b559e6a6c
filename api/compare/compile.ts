import { OUTCOME_CODE } from '../../core/types.ts';
import { type CompiledQuery, compileBase, type Dialect, scoredSet } from '../analysis/compile.ts';
import type { ResolvedQuery } from '../analysis/resolve.ts';

const C = OUTCOME_CODE;

/**
 * Per (model, g0.., item_id): the counts an item's value is computed from, over compileBase's `base` rows.
 *   k  = scored samples (correct + incorrect, + unscored when counted wrong), c = correct samples,
 *   ks = samples with a score (errors left out), ss = their score sum.
 * Only items with a value for the metric come back (k > 0, or ks > 0 for scores).
 * WARNING: no user text reaches this SQL; the group columns g<i> and bound parameters come from compileBase.
 * Shape: `WITH base AS (…) SELECT model, g0, item_id, SUM(…) AS k, … FROM base GROUP BY model, g0, item_id HAVING …`.
 */
export function compileItemValues(
  q: ResolvedQuery,
  dialect: Dialect,
  metric: 'accuracy' | 'score',
): CompiledQuery {
  const base = compileBase(q, dialect);
  const keys = ['model', ...q.levels.map((_, i) => `g${i}`), 'item_id'].join(', ');
  const scored = scoredSet(q);
  const k = `SUM(CASE WHEN outcome IN (${scored}) THEN 1 ELSE 0 END)`;
  const ks = `SUM(CASE WHEN outcome <> ${C.error} AND score IS NOT NULL THEN 1 ELSE 0 END)`;
  const sql = `WITH base AS (${base.sql})
    SELECT ${keys}, ${k} AS k,
      SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) AS c,
      ${ks} AS ks,
      SUM(CASE WHEN outcome <> ${C.error} THEN score END) * 1.0e0 AS ss
    FROM base GROUP BY ${keys}
    HAVING ${metric === 'accuracy' ? k : ks} > 0`;
  return { sql, params: base.params };
}

/**
 * The paired comparison in one query, as a histogram: per (challenger, g0.., [cluster], xa, xb) the
 * number of items, where x is an item's value (mean of its scored samples, or of its scores) for the
 * challenger (xa) and the baseline (xb). xb NULL: the challenger only. The baseline's own items come
 * back as rows with model = baseline and xb NULL (its item counts per group). A last row (kind 1)
 * counts the distinct items left out for a NULL level value. 0/1 data gives at most 4 rows a group,
 * so what leaves the database no longer grows with the number of items.
 * WARNING: no user text reaches this SQL: group columns g<i> come from compileBase, model ids are
 * bound parameters. Shape:
 *   WITH base AS (…), per_item AS (SELECT model, g0, item_id, <x> FROM base GROUP BY …),
 *   pairs AS (SELECT a.model, a.g0, a.x AS xa, b.x AS xb FROM per_item a LEFT JOIN per_item b … UNION ALL …)
 *   SELECT 0 AS kind, model, g0, xa, xb, COUNT(*) AS n FROM pairs GROUP BY … UNION ALL SELECT 1, …
 */
export function compilePairHistogram(
  q: ResolvedQuery,
  dialect: Dialect,
  metric: 'accuracy' | 'score',
  baseline: number,
  levels: number,
): CompiledQuery {
  const base = compileBase(q, dialect);
  const g = q.levels.map((_, i) => `g${i}`);
  const keys = ['model', ...g].join(', ');
  const scored = scoredSet(q);
  const k = `SUM(CASE WHEN outcome IN (${scored}) THEN 1 ELSE 0 END)`;
  const ks = `SUM(CASE WHEN outcome <> ${C.error} AND score IS NOT NULL THEN 1 ELSE 0 END)`;
  const x =
    metric === 'accuracy'
      ? `SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) * 1.0e0 / ${k}`
      : `SUM(CASE WHEN outcome <> ${C.error} THEN score END) * 1.0e0 / ${ks}`;
  // One result per (model, item) among the runs: each row is its item's value, no GROUP BY needed
  // (the same values as the grouped form: k and ks are 1 exactly when the row has a value).
  const perItem = q.perItem
    ? `SELECT ${keys}, item_id, ${x} AS x FROM base GROUP BY ${keys}, item_id
      HAVING ${metric === 'accuracy' ? k : ks} > 0`
    : metric === 'accuracy'
      ? `SELECT ${keys}, item_id, CASE WHEN outcome = ${C.correct} THEN 1.0e0 ELSE 0.0e0 END AS x
        FROM base WHERE outcome IN (${scored})`
      : `SELECT ${keys}, item_id, score * 1.0e0 AS x FROM base WHERE outcome <> ${C.error} AND score IS NOT NULL`;
  const aCols = g.map((c) => `a.${c}`).join(', ');
  const nullLevels = g.slice(0, levels).map((c) => `${c} IS NULL`);
  const nulls = g.map(() => 'NULL').join(', ');
  const sql = `WITH base AS (${base.sql}),
    per_item AS (${perItem}),
    pairs AS (
      SELECT a.model${aCols ? `, ${aCols}` : ''}, a.x AS xa, b.x AS xb
        FROM per_item a LEFT JOIN per_item b ON b.item_id = a.item_id AND b.model = ?
        WHERE a.model <> ?
      UNION ALL
      SELECT ${keys}, x AS xa, NULL AS xb FROM per_item WHERE model = ?)
    SELECT 0 AS kind, ${keys}, xa, xb, COUNT(*) AS n FROM pairs GROUP BY ${keys}, xa, xb
    ${
      nullLevels.length > 0
        ? `UNION ALL SELECT 1 AS kind, NULL AS model${nulls ? `, ${nulls}` : ''}, NULL AS xa, NULL AS xb,
             COUNT(DISTINCT item_id) AS n FROM per_item WHERE ${nullLevels.join(' OR ')}`
        : ''
    }`;
  return { sql, params: [...base.params, baseline, baseline, baseline] };
}

/**
 * The items that separate two models: per item the value (share of correct among scored samples) of A and of B,
 * kept when both have one and they differ. `counts` gives the paired items and each side's total; `page` one
 * side's items, the widest gaps first, then in the benchmark's order (item id), bound LIMIT and OFFSET.
 * WARNING: no user text reaches this SQL: the base rows come from compileBase, the model ids, limit and offset
 * are bound parameters. Shape:
 *   WITH base AS (…), per_item AS (SELECT model, item_id, <x> FROM base GROUP BY model, item_id HAVING k > 0),
 *   pairs AS (SELECT a.item_id, a.x AS xa, b.x AS xb FROM per_item a JOIN per_item b ON … AND b.model = ?
 *     WHERE a.model = ?)
 *   counts: SELECT COUNT(*) AS paired, SUM(CASE WHEN xa > xb …) AS a_better, … FROM pairs
 *   page:   SELECT p.item_id, it.item_key, xa, xb FROM pairs p JOIN items it … WHERE xa > xb ORDER BY … LIMIT ? OFFSET ?
 */
export function compileSeparating(
  q: ResolvedQuery,
  dialect: Dialect,
  models: { a: number; b: number },
  page: { side: 'a' | 'b'; limit: number; offset: number },
): { counts: CompiledQuery; page: CompiledQuery } {
  const base = compileBase({ ...q, levels: [] }, dialect);
  const k = `SUM(CASE WHEN outcome IN (${scoredSet(q)}) THEN 1 ELSE 0 END)`;
  const pairs = `WITH base AS (${base.sql}),
    per_item AS (
      SELECT model, item_id, SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) * 1.0e0 / ${k} AS x
        FROM base GROUP BY model, item_id HAVING ${k} > 0),
    pairs AS (
      SELECT a.item_id, a.x AS xa, b.x AS xb
        FROM per_item a JOIN per_item b ON b.item_id = a.item_id AND b.model = ?
        WHERE a.model = ?)`;
  const params = [...base.params, models.b, models.a];
  const better = page.side === 'a' ? 'p.xa > p.xb' : 'p.xb > p.xa';
  return {
    counts: {
      sql: `${pairs}
        SELECT COUNT(*) AS paired,
          COALESCE(SUM(CASE WHEN xa > xb THEN 1 ELSE 0 END), 0) AS a_better,
          COALESCE(SUM(CASE WHEN xb > xa THEN 1 ELSE 0 END), 0) AS b_better
        FROM pairs`,
      params,
    },
    page: {
      sql: `${pairs}
        SELECT p.item_id, it.item_key, p.xa, p.xb FROM pairs p JOIN items it ON it.id = p.item_id
        WHERE ${better} ORDER BY ABS(p.xa - p.xb) DESC, p.item_id LIMIT ? OFFSET ?`,
      params: [...params, Math.trunc(page.limit), Math.trunc(page.offset)],
    },
  };
}
