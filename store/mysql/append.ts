import type mysql from 'mysql2/promise';
import { errors } from '../../core/errors.ts';
import type { ResultRow } from '../catalog.ts';
import { chunks, placeholders } from '../db.ts';
import { WRITTEN_RESULT_COLUMNS } from '../schema.ts';
import { loadData } from './load-data.ts';

/** The columns written from a record (store/schema.ts), in order. */
const COLS = WRITTEN_RESULT_COLUMNS.map((c) => c.name);
const VALUE = WRITTEN_RESULT_COLUMNS.map((c) => c.value);

/** Below this many rows a multi-row INSERT is cheaper than a LOAD DATA round trip. */
export const LOAD_DATA_MIN_ROWS = 2000;

function values(row: ResultRow): unknown[] {
  return VALUE.map((value) => {
    const v = value(row);
    return typeof v === 'boolean' ? (v ? 1 : 0) : v; // BOOLEAN is TINYINT here, and LOAD DATA reads text
  });
}

/**
 * IGNORE skips a row whose key is stored, and also turns what strict mode would refuse (a value cut to
 * fit, out of range, NULL in a NOT NULL column) into a warning. Each skipped duplicate leaves exactly one
 * warning, so more warnings than duplicates mean a value was altered: that is an error, and the caller's
 * transaction rolls back, instead of a row stored other than it was given.
 */
export async function checkWarnings(
  conn: mysql.PoolConnection,
  res: mysql.ResultSetHeader,
  rows: number,
): Promise<void> {
  const duplicates = rows - res.affectedRows;
  if (res.warningStatus <= duplicates) return;
  // the packet's count stops at 65535; @@warning_count is exact
  const [[count]] = (await conn.query('SELECT @@warning_count AS n')) as unknown as [[{ n: number }]];
  if (Number(count!.n) <= duplicates) return;
  const [list] = await conn.query('SHOW WARNINGS');
  const other = (list as { Code: number; Message: string }[]).find((w) => Number(w.Code) !== 1062);
  throw errors.invalidImport(
    `MySQL would not store a result as given: ${other?.Message ?? `${Number(count!.n) - duplicates} value(s) altered`}`,
    { warning: other ?? null },
  );
}

/**
 * Appends results insert-if-absent on the primary key (run_id, item_id, sample).
 * Large batches stream through LOAD DATA LOCAL INFILE ... IGNORE; small ones use INSERT IGNORE.
 * Returns the number inserted. Runs on the given connection (inside the caller's transaction).
 */
export async function appendResults(conn: mysql.PoolConnection, rows: ResultRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  if (rows.length >= LOAD_DATA_MIN_ROWS) {
    const res = await loadData(conn, 'results', COLS, rows, values);
    await checkWarnings(conn, res, rows.length);
    return res.affectedRows;
  }
  let inserted = 0;
  for (const part of chunks(rows, 500)) {
    const [res] = await conn.query(
      `INSERT IGNORE INTO results (${COLS.join(', ')}) VALUES ${placeholders(part.length, COLS.length)}`,
      part.flatMap(values),
    );
    await checkWarnings(conn, res as mysql.ResultSetHeader, part.length);
    inserted += (res as mysql.ResultSetHeader).affectedRows;
  }
  return inserted;
}
