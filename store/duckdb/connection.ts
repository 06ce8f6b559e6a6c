import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  INTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import { errors } from '../../core/errors.ts';
import type { Db } from '../db.ts';

const SQL_DIR = new URL('../../sql/duckdb/', import.meta.url).pathname;

/** Plain JS values from DuckDB rows: BIGINT/HUGEINT become numbers, other value objects their text. */
export function toJs(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return String(v);
  return v;
}

function toParam(v: unknown): DuckDBValue {
  if (v === undefined) return null;
  return v as DuckDBValue;
}

export async function queryRows<T>(
  conn: DuckDBConnection,
  sql: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params.map(toParam));
  // Each row is a copy of one template holding the columns in order, then filled: rows given their keys one
  // by one (getRowObjects) fall into V8's dictionary mode past about 20 columns, slow to build and to read.
  const names = reader.deduplicatedColumnNames();
  const columns = reader.getColumns();
  const template = Object.fromEntries(names.map((n) => [n, null]));
  const rows: Record<string, unknown>[] = new Array(reader.currentRowCount);
  for (let i = 0; i < rows.length; i++) {
    const row: Record<string, unknown> = { ...template };
    for (let c = 0; c < names.length; c++) row[names[c]!] = toJs(columns[c]![i]);
    rows[i] = row;
  }
  return rows as T[];
}

/** A column of a bulk insert's staging table. */
export interface BulkColumn {
  name: string;
  type: 'INTEGER' | 'VARCHAR';
}

/** A Db over one DuckDB connection. */
export class DuckDb implements Db {
  readonly dialect = 'duckdb' as const;
  constructor(readonly conn: DuckDBConnection) {}

  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return queryRows<T>(this.conn, sql, params);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const r = await this.conn.run(sql, params.map(toParam));
    return Number(r.rowsChanged);
  }

  /**
   * Inserts many rows, skipping those whose `key` columns match a stored row: appends into a temp staging
   * table with data chunks (DuckDB binds huge VALUES lists slowly), then inserts the new keys with an
   * anti-join. Table and column names are the caller's constants, never input.
   */
  async insertIgnore(
    table: string,
    key: readonly string[],
    columns: readonly BulkColumn[],
    rows: readonly unknown[][],
  ): Promise<void> {
    if (rows.length === 0) return;
    const stage = `stage_${table}`;
    // Columns null in every row are left to their default: a chunk column holding NULLs costs
    // @duckdb/node-api BigInt arithmetic per value (items: 12 of 16 metadata columns are often empty).
    const used = columns.map((_, j) => j).filter((j) => rows.some((r) => r[j] != null));
    const staged = used.map((j) => columns[j]!);
    const names = staged.map((c) => c.name).join(', ');
    await this.conn.run(
      `CREATE OR REPLACE TEMP TABLE ${stage} (${staged.map((c) => `${c.name} ${c.type}`).join(', ')})`,
    );
    const appender = await this.conn.createAppender(stage, 'main', 'temp');
    const types = staged.map((c) => (c.type === 'INTEGER' ? INTEGER : VARCHAR));
    for (let off = 0; off < rows.length; off += 2048) {
      const part = rows.slice(off, off + 2048);
      const cols = used.map((j) => part.map((r) => (r[j] ?? null) as DuckDBValue));
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setColumns(cols);
      appender.appendDataChunk(chunk);
      await new Promise<void>((resolve) => setImmediate(resolve)); // other requests between chunks
    }
    appender.flushSync();
    appender.closeSync();
    const match = key.map((k) => `t.${k} = s.${k}`).join(' AND ');
    await this.conn.run(
      `INSERT INTO ${table} (${names}) SELECT ${names} FROM ${stage} s
       WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})
       QUALIFY row_number() OVER (PARTITION BY ${key.map((k) => `s.${k}`).join(', ')}) = 1`,
    );
  }

  async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const out = await fn(this);
      await this.conn.run('COMMIT');
      return out;
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

/**
 * What one DuckDB instance may hold in memory, and where it spills beyond (core/config.ts
 * DUCKDB_MEMORY_LIMIT, DUCKDB_TEMP_DIR). Unset: DuckDB's own defaults (80 % of RAM; `<file>.tmp`).
 */
export interface DuckDbResources {
  /** DuckDB's memory_limit, e.g. `2GB`: its buffer pool (tables' pages, hash tables, sorts, temp tables). */
  memoryLimit?: string | undefined;
  /** DuckDB's temp_directory: where operators and temp tables spill once the limit is reached. */
  tempDirectory?: string | undefined;
}

/** Opens (creating its folder) the DuckDB file and applies the schema. */
export async function openDuckDbInstance(
  path: string,
  resources: DuckDbResources = {},
): Promise<DuckDBInstance> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // options of the instance, never SQL text (config.ts checked their form)
  const options: Record<string, string> = {};
  if (resources.memoryLimit) options.memory_limit = resources.memoryLimit;
  if (resources.tempDirectory) options.temp_directory = resources.tempDirectory;
  try {
    return await DuckDBInstance.create(path, options);
  } catch (err) {
    const msg = (err as Error).message;
    // DuckDB's node API gives a held file lock no code of its own, only its text ("Could not set lock on
    // file"): read at the boundary of the foreign library, and turned into a coded error at once
    if (/lock/i.test(msg)) throw errors.duckdbLocked(path, err);
    throw err;
  }
}

/**
 * Creates the DuckDB file at `path` with the schema applied, whole before it appears: the schema goes into
 * a file of this process's own, is checkpointed, and that file is linked into place (a link, unlike a
 * rename, never replaces a file another process made meanwhile). A kill -9 during the first open's
 * migration used to leave ALTER TABLE … ADD COLUMN in the WAL, which DuckDB cannot replay (see
 * applyDuckDbSchema): the new file never opened again. A killed creation leaves only `<path>.new-<pid>`.
 */
export async function createDuckDbFile(path: string, resources: DuckDbResources = {}): Promise<void> {
  const tmp = `${path}.new-${process.pid}`;
  const drop = () => {
    for (const f of [tmp, `${tmp}.wal`]) rmSync(f, { force: true });
  };
  drop();
  const instance = await openDuckDbInstance(tmp, resources);
  try {
    const conn = await instance.connect();
    try {
      await applyDuckDbSchema(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    // another process made it first, and that one is whole too
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    // a filesystem without hard links gets a rename, which would replace a file made meanwhile
    if (existsSync(path)) throw err;
    renameSync(tmp, path);
  } finally {
    drop();
  }
}

export async function applyDuckDbSchema(conn: DuckDBConnection): Promise<void> {
  const files = readdirSync(SQL_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => [f, readFileSync(join(SQL_DIR, f), 'utf8')] as const);
  // A file whose schema is this one is left alone. Re-running the migrations at every open wrote some of
  // them into the WAL again (ALTER COLUMN … SET NOT NULL is no no-op), and DuckDB cannot replay those DDL
  // (ALTER TABLE: "GetDefaultDatabase with no default database set", duckdb/duckdb#18259, #22044): a kill -9
  // before the checkpoint below left a file that would not open again.
  const schema = createHash('sha256').update(JSON.stringify(files)).digest('hex');
  const applied = await conn
    .runAndReadAll("SELECT comment FROM duckdb_tables() WHERE table_name = 'mirror_state' AND NOT temporary")
    .then((r) => r.getRows()[0]?.[0])
    .catch(() => undefined);
  if (applied === schema) return;
  for (const [, sql] of files) await conn.run(sql);
  // the schema's hash (our hex digest, no user text) marks the file as migrated
  await conn.run(`COMMENT ON TABLE mirror_state IS '${schema}'`);
  // checkpointing here keeps the schema changes out of the WAL
  await conn.run('CHECKPOINT');
}
