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
import { finiteOrNull, microsecondsOrNull, roundedOrNull } from '../result-values.ts';
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
  ['nulls', INTEGER, 'INTEGER'],
];
const NAMES = COLUMNS.map((c) => c[0]).filter((n) => n !== 'ord' && n !== 'nulls');
/**
 * Nullable columns are staged as a placeholder plus a bit in `nulls` rather than as NULL: once a chunk
 * column holds one NULL, @duckdb/node-api updates its validity mask with BigInt arithmetic for every later
 * value. The INSERT puts the NULLs back.
 */
const NOT_NULL = new Set(['run_id', 'item_id', 'sample', 'outcome', 'ord', 'nulls']);
const PLACEHOLDERS: DuckDBValue[] = COLUMNS.map(([, , t]) =>
  t === 'VARCHAR' ? '' : t === 'BOOLEAN' ? false : 0,
);
/** The SELECT list restoring NULLs. WARNING: only our own column names and integer bits, no user text. */
const SELECT_LIST = NAMES.map((n) => {
  const i = COLUMNS.findIndex((c) => c[0] === n);
  return NOT_NULL.has(n) ? `s.${n}` : `CASE WHEN s.nulls & ${1 << i} = 0 THEN s.${n} END AS ${n}`;
}).join(', ');

/** Sets column c of row j, or its placeholder; returns the row's `nulls` bit for it. */
function put(cols: DuckDBValue[][], c: number, j: number, v: DuckDBValue): number {
  if (v === null) {
    cols[c]![j] = PLACEHOLDERS[c]!;
    return 1 << c;
  }
  cols[c]![j] = v;
  return 0;
}
const CHUNK = 2048;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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
      cols[15]![j] =
        put(cols, 4, j, r.correct) |
        put(cols, 5, j, finiteOrNull(r.score)) |
        put(cols, 6, j, r.answer ?? null) |
        put(cols, 7, j, microsecondsOrNull(r.latency_ms)) |
        put(cols, 8, j, microsecondsOrNull(r.ttft_ms)) |
        put(cols, 9, j, roundedOrNull(r.tokens_in)) |
        put(cols, 10, j, roundedOrNull(r.tokens_out)) |
        put(cols, 11, j, finiteOrNull(r.cost_usd)) |
        put(cols, 12, j, r.response ?? null) |
        put(cols, 13, j, r.error ?? null);
      cols[14]![j] = off + j;
    }
    const chunk = DuckDBDataChunk.create(types, n);
    chunk.setColumns(cols);
    appender.appendDataChunk(chunk);
    await yieldToEventLoop(); // a chunk is a few ms of synchronous work: let other requests in between
  }
  appender.flushSync();
  appender.closeSync();
}

/**
 * The batch without repeats of a (run_id, item_id, sample) key after its first occurrence. Keys are numbers
 * per run (item_id·2¹⁶ + sample) rather than strings, which a batch would allocate by the hundred thousand.
 */
function firstOfEachKey(batch: ResultRow[]): ResultRow[] {
  const byRun = new Map<number, Set<number | string>>();
  const out: ResultRow[] = [];
  for (const r of batch) {
    let seen = byRun.get(r.runId);
    if (!seen) {
      seen = new Set();
      byRun.set(r.runId, seen);
    }
    const sample = r.record.sample;
    const k = sample < 65536 && r.itemId < 2 ** 36 ? r.itemId * 65536 + sample : `${r.itemId}|${sample}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}

/**
 * Appends results insert-if-absent on (run_id, item_id, sample): keys already stored, and
 * repeats inside the batch after the first, change nothing. Call inside a transaction.
 * Returns how many rows were inserted.
 */
export async function appendResults(conn: DuckDBConnection, batch: ResultRow[]): Promise<number> {
  if (batch.length === 0) return 0;
  const rows = firstOfEachKey(batch);
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
     SELECT nextval('seq_results'), ${SELECT_LIST}, current_timestamp FROM staging_results s ${guard}
     ORDER BY ord`,
    existing,
  );
  return Number(r.rowsChanged);
}
