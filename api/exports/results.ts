import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { z } from 'zod';
import { type MetadataField, OUTCOMES } from '../../core/types.ts';
import { type DuckType, RESULTS } from '../../store/schema.ts';
import { groupable } from '../analysis/catalog-view.ts';
import { SELECTION } from '../analysis/request.ts';
import { resolveQuery } from '../analysis/resolve.ts';
import type { AppContext } from '../context.ts';
import type { Cell, Column, ColumnFormat } from './document.ts';

/** The query of a `results` export: which stored results (a selection as /analysis takes it), and their text. */
export const ResultsQuery = z.strictObject({
  ...SELECTION,
  limit: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .optional()
    .describe('at most this many rows (default: all)'),
});
export type ResultsQuery = z.infer<typeof ResultsQuery>;

/** Result columns a results export leaves out: the row id, and ids the names replace (model, run, item). */
const REPLACED = new Set(['id', 'run_id', 'item_id']);

const FORMAT_OF: Record<DuckType, ColumnFormat> = {
  INTEGER: 'count',
  BIGINT: 'count',
  TINYINT: 'count',
  UTINYINT: 'count',
  DOUBLE: 'number',
  BOOLEAN: 'boolean',
  VARCHAR: 'text',
  JSON: 'text',
  TIMESTAMP: 'text',
};

/**
 * The result columns an export carries, from the schema declaration (store/schema.ts): those DuckDB holds in
 * every mode (the mirror copies them; response and error text stay in MySQL). `outcome` is its name, not its code.
 */
export const EXPORTED_RESULT_COLUMNS = RESULTS.filter((c) => c.mirrored && !REPLACED.has(c.name));

/** A prepared results export: its columns, its SQL (our identifiers only; every value bound) and its row count bound. */
export interface ResultsSelection {
  columns: Column[];
  sql: string;
  params: unknown[];
  /** Converts one row of the query's columns (c0, c1, …) into the export's cells. */
  convert: (values: unknown[]) => Cell[];
  benchmark: string;
  runIds: number[];
}

const timestampText = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  // DuckDB's TIMESTAMP value prints as "2026-01-02 03:04:05.678"; ISO 8601 UTC in the file
  const s = String(v);
  return /^\d{4}-\d\d-\d\d \d/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
};

/** Resolves a results query against the catalog (404/400 as /analysis gives them) and compiles its SELECT. */
export async function selectResults(ctx: AppContext, q: ResultsQuery): Promise<ResultsSelection> {
  const view = await ctx.analysis.catalog();
  const resolved = resolveQuery(view, {
    benchmark: q.benchmark,
    models: q.models,
    runs: q.runs,
    filters: q.filters,
  });
  const fields: MetadataField[] = groupable(resolved.benchmark);
  const taken = new Set(['model', 'run_id', 'run', 'item', ...EXPORTED_RESULT_COLUMNS.map((c) => c.name)]);
  const fieldKeys = fields.map((f) => {
    const key = taken.has(f.name) ? `meta_${f.name}` : f.name;
    taken.add(key);
    return key;
  });
  const columns: Column[] = [
    { key: 'model', label: 'model', format: 'text' },
    { key: 'run_id', label: 'run id', format: 'count' },
    { key: 'run', label: 'run', format: 'text' },
    { key: 'item', label: 'item', format: 'text' },
    ...fields.map((f, i) => ({
      key: fieldKeys[i]!,
      label: f.label || f.name,
      format: (f.type === 'integer'
        ? 'count'
        : f.type === 'number'
          ? 'number'
          : f.type === 'boolean'
            ? 'boolean'
            : 'text') as ColumnFormat,
    })),
    ...EXPORTED_RESULT_COLUMNS.map((c) => ({
      key: c.name,
      label: c.name,
      format: c.name === 'outcome' ? ('text' as const) : FORMAT_OF[c.duckdb],
    })),
  ];
  // WARNING: identifiers only: our generated m<col> columns (col an integer 0..15), the schema's column names,
  // positional aliases c<i>, outcome names of core/types.ts; run ids, filter values and the limit are bound.
  // Metadata values are decoded to their field's type here, so that Parquet gets typed columns.
  const outcome = `CASE res.outcome ${OUTCOMES.map((o, i) => `WHEN ${i} THEN '${o}'`).join(' ')} END`;
  const fieldExpr = (f: MetadataField) => {
    const m = `it.m${Math.trunc(f.col!)}`;
    return f.type === 'integer'
      ? `TRY_CAST(${m} AS BIGINT)`
      : f.type === 'number'
        ? `TRY_CAST(${m} AS DOUBLE)`
        : f.type === 'boolean'
          ? `(${m} = 'true')`
          : m;
  };
  const select = [
    'mo.name',
    'res.run_id',
    'ru.label',
    'it.item_key',
    ...fields.map(fieldExpr),
    ...EXPORTED_RESULT_COLUMNS.map((c) => (c.name === 'outcome' ? outcome : `res.${c.name}`)),
  ].map((e, i) => `${e} AS c${i}`);
  const where: string[] = [];
  const params: unknown[] = [];
  if (resolved.runIds.length === 0) where.push('1 = 0');
  else {
    where.push(`res.run_id IN (${resolved.runIds.map(() => '?').join(', ')})`);
    params.push(...resolved.runIds);
  }
  for (const f of resolved.filters) {
    where.push(`it.m${Math.trunc(f.field.col!)} IN (${f.values.map(() => '?').join(', ')})`);
    params.push(...f.values);
  }
  let sql = `SELECT ${select.join(', ')}
    FROM results res JOIN runs ru ON ru.id = res.run_id JOIN models mo ON mo.id = ru.model_id
      JOIN items it ON it.id = res.item_id
    WHERE ${where.join(' AND ')}`;
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(q.limit);
  }
  const times = new Set(
    EXPORTED_RESULT_COLUMNS.flatMap((c, j) => (c.duckdb === 'TIMESTAMP' ? [4 + fields.length + j] : [])),
  );
  const convert = (v: unknown[]): Cell[] => {
    const out: Cell[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      out[i] =
        x === null || x === undefined
          ? null
          : typeof x === 'bigint'
            ? Number(x)
            : times.has(i)
              ? timestampText(x)
              : typeof x === 'object'
                ? String(x)
                : (x as Cell);
    }
    return out;
  };
  return { columns, sql, params, convert, benchmark: resolved.benchmark.slug, runIds: resolved.runIds };
}

/** Counts the rows a selection would export (the pdf's cap). */
export async function countResults(conn: DuckDBConnection, s: ResultsSelection): Promise<number> {
  const r = await conn.runAndReadAll(`SELECT count(*) AS n FROM (${s.sql}) t`, s.params as never);
  return Number(r.getRows()[0]?.[0] ?? 0);
}

/**
 * The rows of a selection, one DuckDB chunk (2,048 rows) at a time, on a connection of its own: memory stays
 * one chunk whatever the row count, and the analyses' connections are not held.
 */
export async function* streamResults(conn: DuckDBConnection, s: ResultsSelection): AsyncGenerator<Cell[][]> {
  const result: DuckDBResult = await conn.stream(s.sql, s.params as never);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const cols = chunk.getColumns();
    const rows: Cell[][] = new Array(chunk.rowCount);
    for (let i = 0; i < chunk.rowCount; i++) rows[i] = s.convert(cols.map((c) => c[i]));
    yield rows;
  }
}
