import type { DuckDBConnection } from '@duckdb/node-api';
import type mysql from 'mysql2/promise';
import { AppError, errors } from '../core/errors.ts';
import { queryRows } from './duckdb/connection.ts';
import type { DuckDbStore } from './duckdb/duckdb-store.ts';

export interface Engine {
  readonly name: 'duckdb' | 'mysql';
  query<T>(sql: string, params: readonly unknown[], timeoutMs: number): Promise<T[]>;
  close(): Promise<void>;
}

/** The read engines the analysis runs its SQL on, each with a statement time limit. */
/** Read connections over the server's DuckDB file; a query past its time limit is interrupted. */
export class DuckDbEngine implements Engine {
  readonly name = 'duckdb' as const;
  private readonly idle: DuckDBConnection[] = [];
  private readonly all: DuckDBConnection[] = [];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];

  private constructor(private readonly size: number) {}

  static async create(store: DuckDbStore, size = 4): Promise<DuckDbEngine> {
    const e = new DuckDbEngine(size);
    for (let i = 0; i < size; i++) {
      const c = await store.connect();
      e.all.push(c);
      e.idle.push(c);
    }
    return e;
  }

  get stats() {
    return {
      size: this.size,
      in_use: this.size - this.idle.length,
      free: this.idle.length,
      queued: this.waiters.length,
    };
  }

  private acquire(): Promise<DuckDBConnection> {
    const c = this.idle.pop();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(c: DuckDBConnection): void {
    const w = this.waiters.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  async query<T>(sql: string, params: readonly unknown[], timeoutMs: number): Promise<T[]> {
    const conn = await this.acquire();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, timeoutMs);
    try {
      return await queryRows<T>(conn, sql, params);
    } catch (err) {
      if (timedOut || /interrupt/i.test((err as Error).message)) throw errors.timeout('duckdb', timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
      this.release(conn);
    }
  }

  async close(): Promise<void> {
    for (const c of this.all) c.closeSync();
  }
}

/** The MySQL engine path: the same analysis on the system of record, with the server's own statement time limit. */
export class MysqlEngine implements Engine {
  readonly name = 'mysql' as const;
  private constructor(
    readonly pool: mysql.Pool,
    private readonly mariadb: boolean,
  ) {}

  static async create(pool: mysql.Pool): Promise<MysqlEngine> {
    const [rows] = await pool.query('SELECT VERSION() AS v');
    const v = String((rows as { v: string }[])[0]?.v ?? '');
    return new MysqlEngine(pool, /mariadb/i.test(v));
  }

  async query<T>(sql: string, params: readonly unknown[], timeoutMs: number): Promise<T[]> {
    const conn = await this.pool.getConnection();
    try {
      let text = sql;
      if (this.mariadb) {
        // MariaDB: seconds, fractional allowed; applies to this statement only
        text = `SET STATEMENT max_statement_time = ${(Math.max(1, timeoutMs) / 1000).toFixed(3)} FOR ${sql}`;
      } else {
        await conn.query('SET SESSION max_execution_time = ?', [Math.max(1, Math.trunc(timeoutMs))]);
      }
      const [rows] = await conn.query(text, params as unknown[]);
      return rows as T[];
    } catch (err) {
      const code = (err as { errno?: number }).errno;
      if (code === 1969 || code === 3024 || code === 1317) throw errors.timeout('mysql', timeoutMs);
      if (err instanceof AppError) throw err;
      throw err;
    } finally {
      conn.release();
    }
  }

  async close(): Promise<void> {}
}
