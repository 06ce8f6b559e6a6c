import { OUTCOME_CODE } from '../../core/types.ts';
import { metaTable } from '../../store/duckdb/meta-tables.ts';
import {
  MEASURE_NAMES,
  type MeasureName,
  quantilesByColumn,
  resultColumns,
  sampleAggregates,
  sqlColumns,
} from './measures.ts';
import type { ResolvedQuery } from './resolve.ts';

export type Dialect = 'duckdb' | 'mysql';
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

const C = OUTCOME_CODE;

/**
 * The FROM/WHERE shared by every analysis query, as `base` rows:
 *   model, g0..g2, item_id, sample, outcome, score, answer, and the result columns the selected measures read
 *   (latency_ms, ttft_ms, tokens_in, …: measures.ts); `model` is the run id when q.armByRun (A/B of runs)
 * WARNING: user input never reaches this text. Identifiers are our generated ones: the metadata
 * column m<col>/f<col> of a resolved field (col is an integer 0..15) and meta_<benchmark id>, or a
 * run dimension's column of runs, one of the constants of run-dimensions.ts (ru.prompt_version);
 * run ids and filter values are bound parameters: `res.run_id IN (?, ?)`, `m.f3 IN (?, ?)`.
 */
export function compileBase(q: ResolvedQuery, dialect: Dialect): CompiledQuery {
  const col = (c: number) => (dialect === 'duckdb' ? `m.f${Math.trunc(c)}` : `m.m${Math.trunc(c)}`);
  const join =
    dialect === 'duckdb'
      ? `JOIN ${metaTable(q.benchmark.id)} m ON m.item_id = res.item_id`
      : 'JOIN items m ON m.id = res.item_id';
  // a run dimension reads a constant column of runs (run-dimensions.ts), as text like the item columns
  const groups = q.levels.map(
    (f, i) =>
      `${f.runColumn ? `CAST(ru.${f.runColumn} AS ${dialect === 'duckdb' ? 'VARCHAR' : 'CHAR'})` : col(f.col!)} AS g${i}`,
  );
  const params: unknown[] = [];
  const where: string[] = [];
  if (q.runIds.length === 0) where.push('1 = 0');
  else {
    const list = q.runIds.map(() => '?').join(', ');
    if (dialect === 'duckdb') {
      // DuckDB plans an IN list of parameters on the big table as a MARK join after the scan (≈ 2 ms per
      // 300k rows); on runs it filters the small side of the runs join, which then drops other runs' rows.
      // The range on the same ids is pushed into the scan, whose zone maps skip other runs' row groups.
      where.push(`ru.id IN (${list})`, 'res.run_id BETWEEN ? AND ?');
      params.push(...q.runIds, Math.min(...q.runIds), Math.max(...q.runIds));
    } else {
      where.push(`res.run_id IN (${list})`);
      params.push(...q.runIds);
    }
  }
  for (const f of q.filters) {
    // ENUM columns compare with text parameters once cast; MySQL columns are text already
    const target = dialect === 'duckdb' ? `CAST(${col(f.field.col!)} AS VARCHAR)` : col(f.field.col!);
    where.push(`${target} IN (${f.values.map(() => '?').join(', ')})`);
    params.push(...f.values);
  }
  const measured = resultColumns(selected(q)).map((c) => `res.${c}`);
  const arm = q.armByRun ? 'ru.id' : 'ru.model_id';
  const sql = `SELECT ${arm} AS model${withLead(groups)}, res.item_id, res.sample, res.outcome,
      res.score, res.answer${withLead(measured)}
    FROM results res JOIN runs ru ON ru.id = res.run_id ${join}
    WHERE ${where.join(' AND ')}`;
  return { sql, params };
}

const gcols = (q: ResolvedQuery) => q.levels.map((_, i) => `g${i}`);

/** Outcome codes that count toward n (scored): unscored joins them when counted wrong. */
export const scoredSet = (q: ResolvedQuery) =>
  q.unscored === 'wrong' ? `${C.correct}, ${C.incorrect}, ${C.unscored}` : `${C.correct}, ${C.incorrect}`;

/** The selected measures (default: all), in catalogue order. */
const selected = (q: ResolvedQuery): readonly MeasureName[] => q.measures ?? MEASURE_NAMES;

/**
 * The sample measures the selection asks for (measures.ts), as the inner aggregates over `from`'s rows and the
 * outer columns that name them. DuckDB's quantiles: all of one column's from one selection per group, over
 * whole microseconds as BIGINT (stored durations are rounded to the microsecond at ingest,
 * store/result-values.ts): quantile_disc over integers costs half what it does over DOUBLE. Back in ms,
 * k / 1000.0 is the same double as the stored value. TRY_CAST: a duration stored before the ±1e12 ms bound
 * whose microseconds overflow BIGINT is left out of the quantiles instead of failing the query (it costs no
 * more than CAST).
 */
function duckSampleAggregates(q: ResolvedQuery): { inner: string[]; outer: string[] } {
  const inner: string[] = [];
  const outer: string[] = [];
  for (const [column, qs] of quantilesByColumn(selected(q))) {
    const list = `q_${column}`;
    inner.push(
      `quantile_disc(TRY_CAST(${column} * 1000 AS BIGINT), [${qs.map((x) => x.q).join(', ')}]) AS ${list}`,
    );
    for (const [i, x] of qs.entries()) outer.push(`${list}[${i + 1}] / 1000.0 AS ${x.name}`);
  }
  for (const a of sampleAggregates(selected(q))) {
    inner.push(`${a.sql.duckdb} AS ${a.name}`);
    outer.push(`${a.name}::DOUBLE AS ${a.name}`); // sums of integers are HUGEINT: see compileAggregate
  }
  return { inner, outer };
}

const withLead = (cols: string[]) => cols.map((c) => `, ${c}`).join('');

function latencyAggregates(q: ResolvedQuery, dialect: Dialect, from: string): string {
  const keys = ['model', ...gcols(q)];
  if (dialect === 'duckdb') {
    const { inner, outer } = duckSampleAggregates(q);
    return `SELECT ${keys.join(', ')}, n_samples${withLead(outer)}
      FROM (SELECT ${keys.join(', ')}, count(*) AS n_samples${withLead(inner)}
        FROM ${from} GROUP BY ${keys.join(', ')}) lat_agg`;
  }
  // MySQL has no ordered-set aggregate: nearest rank (ceil(q·n)) from window functions, as DuckDB's quantile_disc
  const part = keys.join(', ');
  const quantiles = quantilesByColumn(selected(q));
  const sums = sampleAggregates(selected(q));
  const outer: string[] = [];
  const windows: string[] = [];
  for (const [column, qs] of quantiles) {
    for (const x of qs) {
      outer.push(
        `MIN(CASE WHEN rn_${column} = CEIL(${x.q} * cnt_${column}) THEN ${column} END) AS ${x.name}`,
      );
    }
    windows.push(
      `ROW_NUMBER() OVER (PARTITION BY ${part}, ${column} IS NULL ORDER BY ${column}) AS rn_${column}`,
      `COUNT(${column}) OVER (PARTITION BY ${part}) AS cnt_${column}`,
    );
  }
  for (const a of sums) outer.push(`${a.sql.mysql} AS ${a.name}`);
  const cols = [...new Set([...quantiles.keys(), ...sums.map((a) => a.column)])];
  return `SELECT ${part}, count(*) AS n_samples${withLead(outer)}
    FROM (SELECT ${part}${withLead(cols)}${withLead(windows)}
      FROM ${from}) w
    GROUP BY ${part}`;
}

/**
 * The aggregate query: one row per (model, g0..) with the sufficient statistics the answer is
 * computed from (n_items, sum_p, sum_p2 of item means; the same for scores), so coarser groups
 * and totals roll up exactly. Groups with a NULL key are kept; the caller counts them as excluded.
 */
export function compileAggregate(q: ResolvedQuery, dialect: Dialect, rowCap: number): CompiledQuery {
  const base = compileBase(q, dialect);
  const keys = ['model', ...gcols(q)];
  const k = keys.join(', ');
  if (dialect === 'duckdb' && !q.perItem) {
    // One result per (model, item): accuracy and latency share one GROUP BY, one pass over the rows
    // (the two-CTE join below reads them twice); count_if is cheaper than count(*) FILTER here.
    // Counts and integer sums leave as DOUBLE (exact below 2^53): the reader then hands JS numbers over as they
    // are, where BIGINT and count_if's HUGEINT became BigInts to convert, row by row, in JS.
    const { inner, outer } = duckSampleAggregates(q);
    const asDouble = (c: string) => `${c}::DOUBLE AS ${c}`;
    const sql = `WITH base AS (${base.sql})
      SELECT ${k}, ${['n_samples', 'n', 'correct', 'unscored', 'errors'].map(asDouble).join(', ')},
        n::DOUBLE AS n_items, correct * 1.0e0 AS sum_p,
        correct * 1.0e0 AS sum_p2, ${asDouble('n_score')}, sum_s, sum_s2${withLead(outer)}
      FROM (SELECT ${k}, count(*) AS n_samples,
          count_if(outcome IN (${scoredSet(q)})) AS n,
          count_if(outcome = ${C.correct}) AS correct,
          count_if(outcome = ${C.unscored}) AS unscored,
          count_if(outcome = ${C.error}) AS errors,
          count(score) AS n_score, sum(score) AS sum_s, sum(score * score) AS sum_s2${withLead(inner)}
        FROM base GROUP BY ${k}) agg
      ORDER BY ${k}
      LIMIT ${Math.trunc(rowCap) + 1}`;
    return { sql, params: base.params };
  }
  const nullSafe = (a: string, b: string) =>
    dialect === 'duckdb' ? `${a} IS NOT DISTINCT FROM ${b}` : `${a} <=> ${b}`;
  const f = (x: string) => `(${x}) * 1.0e0`; // double arithmetic on both engines (MySQL integer division is DECIMAL(·,4))
  let acc: string;
  if (!q.perItem) {
    // one result per (model, item): item means are the values themselves
    acc = `SELECT ${k},
        SUM(CASE WHEN outcome IN (${scoredSet(q)}) THEN 1 ELSE 0 END) AS n,
        SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) AS correct,
        SUM(CASE WHEN outcome = ${C.unscored} THEN 1 ELSE 0 END) AS unscored,
        SUM(CASE WHEN outcome = ${C.error} THEN 1 ELSE 0 END) AS errors,
        SUM(CASE WHEN outcome IN (${scoredSet(q)}) THEN 1 ELSE 0 END) AS n_items,
        ${f(`SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END)`)} AS sum_p,
        ${f(`SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END)`)} AS sum_p2,
        COUNT(score) AS n_score, SUM(score) AS sum_s, SUM(score * score) AS sum_s2
      FROM base GROUP BY ${k}`;
  } else {
    acc = `SELECT ${k},
        SUM(k) AS n, SUM(c) AS correct, SUM(u) AS unscored, SUM(e) AS errors,
        SUM(CASE WHEN k > 0 THEN 1 ELSE 0 END) AS n_items,
        SUM(CASE WHEN k > 0 THEN ${f('c')} / k END) AS sum_p,
        SUM(CASE WHEN k > 0 THEN (${f('c')} / k) * (${f('c')} / k) END) AS sum_p2,
        SUM(CASE WHEN ks > 0 THEN 1 ELSE 0 END) AS n_score,
        SUM(CASE WHEN ks > 0 THEN ss / ks END) AS sum_s,
        SUM(CASE WHEN ks > 0 THEN (ss / ks) * (ss / ks) END) AS sum_s2
      FROM (
        SELECT ${k}, item_id,
          SUM(CASE WHEN outcome IN (${scoredSet(q)}) THEN 1 ELSE 0 END) AS k,
          SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) AS c,
          SUM(CASE WHEN outcome = ${C.unscored} THEN 1 ELSE 0 END) AS u,
          SUM(CASE WHEN outcome = ${C.error} THEN 1 ELSE 0 END) AS e,
          COUNT(score) AS ks, SUM(score) AS ss
        FROM base GROUP BY ${k}, item_id
      ) per_item GROUP BY ${k}`;
  }
  const lat = latencyAggregates(q, dialect, 'base');
  const on = keys.map((x) => nullSafe(`a.${x}`, `l.${x}`)).join(' AND ');
  const sql = `WITH base AS (${base.sql}),
    acc AS (${acc}),
    lat AS (${lat})
    SELECT ${keys.map((x) => `a.${x}`).join(', ')}, l.n_samples, a.n, a.correct, a.unscored, a.errors, a.n_items,
      a.sum_p, a.sum_p2, a.n_score, a.sum_s, a.sum_s2${withLead(sqlColumns(selected(q)).map((c) => `l.${c}`))}
    FROM acc a JOIN lat l ON ${on}
    ORDER BY ${keys.map((x) => `a.${x}`).join(', ')}
    LIMIT ${Math.trunc(rowCap) + 1}`;
  return { sql, params: base.params };
}

/** pass@k input: per (model, group, samples n, correct c) the number of items. */
export function compilePassHistogram(q: ResolvedQuery, dialect: Dialect): CompiledQuery {
  const base = compileBase(q, dialect);
  const k = ['model', ...gcols(q)].join(', ');
  const sql = `WITH base AS (${base.sql})
    SELECT ${k}, n, c, COUNT(*) AS items FROM (
      SELECT ${k}, item_id,
        SUM(CASE WHEN outcome IN (${scoredSet(q)}) THEN 1 ELSE 0 END) AS n,
        SUM(CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END) AS c
      FROM base GROUP BY ${k}, item_id) t
    WHERE n > 0
    GROUP BY ${k}, n, c`;
  return { sql, params: base.params };
}

/**
 * maj@k input: every scored sample of each item, in sample order; the vote takes the first k of them (majAtK), so
 * maj@k of one k is the same whatever other k values the request asks for. Not cut in SQL: a ROW_NUMBER() window
 * over this base query hits a DuckDB internal error ("Failed to cast expression to type") with two runs per
 * model, and cutting by sample index (sample < max k) counted unscored samples against the budget.
 */
export function compileVotes(q: ResolvedQuery, dialect: Dialect): CompiledQuery {
  const base = compileBase(q, dialect);
  const k = ['model', ...gcols(q)].join(', ');
  const sql = `WITH base AS (${base.sql})
    SELECT ${k}, item_id, sample, answer, CASE WHEN outcome = ${C.correct} THEN 1 ELSE 0 END AS ok
    FROM base WHERE outcome IN (${scoredSet(q)})
    ORDER BY ${k}, item_id, sample`;
  return { sql, params: base.params };
}
