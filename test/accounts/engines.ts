import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { type AccountDb, accountDb } from '../../accounts/account-db.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A fresh MariaDB database named t_acct_… (this part's prefix on the shared server), and its drop. */
export async function accountTestDatabase(): Promise<{
  url: string;
  name: string;
  drop: () => Promise<void>;
}> {
  const name = `t_acct_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(TEST_MYSQL_SERVER);
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.end();
  return {
    url: `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${name}`,
    name,
    drop: async () => {
      const c = await mysql.createConnection(TEST_MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** One engine's control database for a test file: a DuckDB file, or a MariaDB database. */
export interface TestEngine {
  name: 'duckdb' | 'mysql';
  store: DuckDbStore | MysqlStore;
  db: AccountDb;
  /** Runs raw SQL of the test's own on that database (edits by hand, dumps). */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export const ENGINES = ['duckdb', 'mysql'] as const;

export async function openEngine(name: 'duckdb' | 'mysql'): Promise<TestEngine> {
  if (name === 'duckdb') {
    const tmp = tmpDir('evalhouse-acct-');
    const store = await DuckDbStore.open(join(tmp.dir, 'control.duckdb'));
    return {
      name,
      store,
      db: accountDb(store),
      raw: async (sql, params = []) => store.db.all(sql, params),
      close: async () => {
        await store.close();
        tmp.cleanup();
      },
    };
  }
  const database = await accountTestDatabase();
  const store = await MysqlStore.open(database.url, 25);
  return {
    name,
    store,
    db: accountDb(store),
    raw: async (sql, params = []) => store.db.all(sql, params),
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}
