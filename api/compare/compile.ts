import { OUTCOME_CODE } from '../../core/types.ts';
import { type CompiledQuery, compileBase, type Dialect } from '../analysis/compile.ts';
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
  const scored =
    q.unscored === 'wrong' ? `${C.correct}, ${C.incorrect}, ${C.unscored}` : `${C.correct}, ${C.incorrect}`;
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
