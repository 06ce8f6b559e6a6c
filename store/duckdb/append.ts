import {
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { OUTCOME_CODE } from '../../core/types.ts';
import type { ResultRow } from '../catalog.ts';
import { queryRows } from './connection.ts';

/** Staging columns, in order; results has the same ones plus id and created_at. */
const COLUMNS: [string, DuckDBType, string][] = [
  ['run_id', INTEGER, 'INTEGER'],
  ['item_id', INTEGER, 'INTEGER'],
  ['sample', INTEGER, 'INTEGER'],
  ['outcome', UTINYINT, 'UTINYINT'],
  ['correct', BOOLEAN, 'BOOLEAN'],
  ['score', DOUBLE, 'DOUBLE'],
  ['answer', VARCHAR, 'VARCHAR'],
  ['latency_ms', DOUBLE, 'DOUBLE'],
  ['ttft_ms', DOUBLE, 'DOUBLE'],
  ['tokens_in', INTEGER, 'INTEGER'],
  ['tokens_out', INTEGER, 'INTEGER'],
  ['cost_usd', DOUBLE, 'DOUBLE'],
  ['response', VARCHAR, 'VARCHAR'],
  ['error', VARCHAR, 'VARCHAR'],
  ['ord', INTEGER, 'INTEGER'],
];
const NAMES = COLUMNS.map((c) => c[0]).filter((n) => n !== 'ord');
const CHUNK = 2048;

const num = (v: number | null | undefined): number | null =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;
const int = (v: number | null | undefined): number | null => {
  const n = num(v);
  return n === null ? null : Math.round(n);
};

async function ensureStaging(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `CREATE TEMP TABLE IF NOT EXISTS staging_results (${COLUMNS.map(([n, , t]) => `${n} ${t}`).join(', ')})`,
  );
  await conn.run('DELETE FROM staging_results');
}

/** Loads rows into the temp staging table with data chunks (about 10× fewer native calls than per-value appends). */
async function stage(conn: DuckDBConnection, rows: ResultRow[]): Promise<void> {
  await ensureStaging(conn);
  const appender = await conn.createAppender('staging_results', 'main', 'temp');
  const types = COLUMNS.map((c) => c[1]);
  for (let off = 0; off < rows.length; off += CHUNK) {
    const n = Math.min(CHUNK, rows.length - off);
    const cols: DuckDBValue[][] = COLUMNS.map(() => new Array(n));
    for (let j = 0; j < n; j++) {
      const { runId, itemId, record: r } = rows[off + j]!;
      cols[0]![j] = runId;
      cols[1]![j] = itemId;
      cols[2]![j] = r.sample;
      cols[3]![j] = OUTCOME_CODE[r.outcome];
      cols[4]![j] = r.correct;
      cols[5]![j] = num(r.score);
      cols[6]![j] = r.answer ?? null;
      cols[7]![j] = num(r.latency_ms);
      cols[8]![j] = num(r.ttft_ms);
      cols[9]![j] = int(r.tokens_in);
      cols[10]![j] = int(r.tokens_out);
      cols[11]![j] = num(r.cost_usd);
      cols[12]![j] = r.response ?? null;
      cols[13]![j] = r.error ?? null;
      cols[14]![j] = off + j;
    }
    const chunk = DuckDBDataChunk.create(types, n);
    chunk.setColumns(cols);
    appender.appendDataChunk(chunk);
  }
  appender.flushSync();
  appender.closeSync();
}

/**
 * Appends results insert-if-absent on (run_id, item_id, sample): keys already stored, and
 * repeats inside the batch after the first, change nothing. Call inside a transaction.
 * Returns how many rows were inserted.
 */
export async function appendResults(conn: DuckDBConnection, batch: ResultRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  // first occurrence of a key wins inside the batch
  const seen = new Set<string>();
  const rows = batch.filter((r) => {
    const k = `${r.runId}|${r.itemId}|${r.record.sample}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  await stage(conn, rows);
  const cols = NAMES.join(', ');
  const runIds = [...new Set(rows.map((r) => r.runId))];
  // Only runs that already have rows need the anti-join; a new run's rows go straight in.
  const existing = (
    await queryRows<{ run_id: number }>(
      conn,
      `SELECT DISTINCT run_id FROM results WHERE run_id IN (${runIds.map(() => '?').join(', ')})`,
      runIds,
    )
  ).map((r) => Number(r.run_id));
  const guard =
    existing.length === 0
      ? ''
      : `WHERE NOT EXISTS (
           SELECT 1 FROM results r
           WHERE r.run_id IN (${existing.map(() => '?').join(', ')})
             AND r.run_id = s.run_id AND r.item_id = s.item_id AND r.sample = s.sample)`;
  const r = await conn.run(
    `INSERT INTO results (id, ${cols}, created_at)
     SELECT nextval('seq_results'), ${cols}, current_timestamp FROM staging_results s ${guard}
     ORDER BY ord`,
    existing,
  );
  return Number(r.rowsChanged);
}
