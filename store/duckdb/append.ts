import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  TINYINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { ResultRow } from '../catalog.ts';
import { type DuckType, WRITTEN_RESULT_COLUMNS } from '../schema.ts';
import { queryRows } from './connection.ts';

const CHUNK_TYPE: Partial<Record<DuckType, DuckDBType>> = {
  INTEGER,
  BIGINT,
  TINYINT,
  UTINYINT,
  DOUBLE,
  BOOLEAN,
  VARCHAR,
};
/** The columns written from a record (store/schema.ts), in order. */
const WRITTEN = WRITTEN_RESULT_COLUMNS;
/** Staging columns: the written ones, then the batch order and the null bits. */
const COLUMNS: [string, DuckDBType, string][] = [
  ...WRITTEN.map((c): [string, DuckDBType, string] => {
    const t = CHUNK_TYPE[c.duckdb];
    if (!t) throw new Error(`no appender type for results.${c.name} (${c.duckdb})`);
    return [c.name, t, c.duckdb];
  }),
  ['ord', INTEGER, 'INTEGER'],
  ['nulls', INTEGER, 'INTEGER'],
];
const ORD = WRITTEN.length;
const NULLS = WRITTEN.length + 1;
const NAMES = WRITTEN.map((c) => c.name);
/**
 * Nullable columns are staged as a placeholder plus a bit in `nulls` rather than as NULL: once a chunk
 * column holds one NULL, @duckdb/node-api updates its validity mask with BigInt arithmetic for every later
 * value. The INSERT puts the NULLs back.
 */
const PLACEHOLDERS: DuckDBValue[] = COLUMNS.map(([, , t]) =>
  t === 'VARCHAR' ? '' : t === 'BOOLEAN' ? false : 0,
);
/** The SELECT list restoring NULLs. WARNING: only our own column names and integer bits, no user text. */
const SELECT_LIST = WRITTEN.map((c, i) =>
  c.nullable ? `CASE WHEN s.nulls & ${1 << i} = 0 THEN s.${c.name} END AS ${c.name}` : `s.${c.name}`,
).join(', ');
const NOT_NULL = WRITTEN.map((c, i) => (c.nullable ? -1 : i)).filter((i) => i >= 0);
const NULLABLE = WRITTEN.map((c, i) => (c.nullable ? i : -1)).filter((i) => i >= 0);
const VALUE = WRITTEN.map((c) => c.value);

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
      const row = rows[off + j]!;
      for (const c of NOT_NULL) cols[c]![j] = VALUE[c]!(row) as DuckDBValue;
      let nulls = 0;
      for (const c of NULLABLE) nulls |= put(cols, c, j, VALUE[c]!(row) as DuckDBValue);
      cols[NULLS]![j] = nulls;
      cols[ORD]![j] = off + j;
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
