import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type mysql from 'mysql2/promise';

/** LOAD DATA's text form: \N for NULL; backslash, tab, newline, CR and NUL escaped. */
export function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0'; // BOOLEAN is TINYINT here
  const s = String(v);
  // most values need no escape: skip the replace's callback for them
  return /[\\\t\n\r\0]/.test(s)
    ? s.replace(/[\\\t\n\r\0]/g, (c) =>
        c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\0',
      )
    : s;
}

/** The rows as LOAD DATA text, in chunks of about 64 KB: the server parses one while the next is built. */
function* tsvChunks<T>(rows: readonly T[], fields: (row: T) => unknown[]): Generator<Buffer> {
  let buf = '';
  for (const row of rows) {
    const values = fields(row);
    let line = tsvField(values[0]);
    for (let i = 1; i < values.length; i++) line += `\t${tsvField(values[i])}`;
    buf += `${line}\n`;
    if (buf.length > 1 << 16) {
      yield Buffer.from(buf, 'utf8');
      buf = '';
    }
  }
  if (buf) yield Buffer.from(buf, 'utf8');
}

/**
 * Streams rows into `table` through LOAD DATA LOCAL INFILE ... IGNORE (insert-if-absent on its unique keys).
 * WARNING: `table` and `columns` are our own names (store/schema.ts), never input:
 * `LOAD DATA LOCAL INFILE 'x' IGNORE INTO TABLE results ... (run_id, item_id, ...)`.
 */
export async function loadData<T>(
  conn: mysql.Pool | mysql.PoolConnection,
  table: string,
  columns: readonly string[],
  rows: readonly T[],
  fields: (row: T) => unknown[],
): Promise<mysql.ResultSetHeader> {
  const [res] = await conn.query({
    sql: `LOAD DATA LOCAL INFILE 'evalhouse-${table}.tsv' IGNORE INTO TABLE ${table} CHARACTER SET utf8mb4
          FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns.join(', ')})`,
    infileStreamFactory: () => Readable.from(tsvChunks(rows, fields), { objectMode: false }),
  } as mysql.QueryOptions);
  return res as mysql.ResultSetHeader;
}

/**
 * Files DuckDB writes for LOAD DATA (the bulk path): tab-separated, text quoted with doubled quotes,
 * NULL as the bare word. `quoted` names the columns always quoted (the text ones), so a text "NULL"
 * stays text. The two halves of the one dialect are here: this and `loadFile`.
 */
export function duckdbCopyOptions(quoted: readonly string[]): string {
  const force = quoted.length > 0 ? `, FORCE_QUOTE (${quoted.join(', ')})` : '';
  return `(FORMAT csv, HEADER false, DELIMITER '\t', QUOTE '"', ESCAPE '"', NULLSTR 'NULL'${force})`;
}

/**
 * LOAD DATA LOCAL INFILE of a file DuckDB wrote with `duckdbCopyOptions`, streamed from disk, into
 * `table`'s `columns` (ours, never input); `ignore`: insert-if-absent on its unique keys.
 */
export async function loadFile(
  conn: mysql.PoolConnection,
  table: string,
  columns: readonly string[],
  path: string,
  ignore: boolean,
): Promise<mysql.ResultSetHeader> {
  const [res] = await conn.query({
    sql: `LOAD DATA LOCAL INFILE 'evalhouse-${table}.tsv' ${ignore ? 'IGNORE ' : ''}INTO TABLE ${table}
          CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '"' ESCAPED BY ''
          LINES TERMINATED BY '\\n' (${columns.join(', ')})`,
    infileStreamFactory: () => createReadStream(path, { highWaterMark: 1 << 20 }),
  } as mysql.QueryOptions);
  return res as mysql.ResultSetHeader;
}
