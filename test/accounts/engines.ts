import { join } from 'node:path';
import { type AccountDb, accountDb } from '../../accounts/account-db.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

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
  const database = await createTestDatabase('acct');
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
