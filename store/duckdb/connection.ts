import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
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
  const rows = reader.getRowObjects();
  for (const row of rows)
    for (const k of Object.keys(row)) (row as Record<string, unknown>)[k] = toJs(row[k]);
  return rows as T[];
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

/** Opens (creating its folder) the DuckDB file and applies the schema. */
export async function openDuckDbInstance(path: string): Promise<DuckDBInstance> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  try {
    return await DuckDBInstance.create(path);
  } catch (err) {
    const msg = (err as Error).message;
    if (/lock/i.test(msg)) {
      throw new Error(
        `the DuckDB file ${path} is in use by another process (only one process can open it). ` +
          'If an evalhouse server is running, send writes through its API (EVALHOUSE_URL), or stop it first.',
        { cause: err },
      );
    }
    throw err;
  }
}

export async function applyDuckDbSchema(conn: DuckDBConnection): Promise<void> {
  for (const f of readdirSync(SQL_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    await conn.run(readFileSync(join(SQL_DIR, f), 'utf8'));
  }
}
