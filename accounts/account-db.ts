import { Kysely, MysqlDialect, type MysqlPoolConnection } from 'kysely';
import type { PoolConnection } from 'mysql2/promise';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';
import type { StoreTables } from '../store/schema.ts';

/** A Kysely over one database's tables, or the transaction a change runs in. */
export type StoreKysely = Kysely<StoreTables>;

/**
 * One database the accounts or an audit log live in, with the one thing the engines do differently:
 * how a transaction is opened. MySQL: Kysely's own, on one pooled connection. DuckDB: the store's writer
 * (DuckDbStore.write: its mutex and BEGIN on the writer connection; the Kysely passed is the store's,
 * which runs inside it). Never nest `transaction` calls: the DuckDB writer's mutex is not re-entrant.
 */
export interface AccountDb {
  readonly dialect: 'mysql' | 'duckdb';
  /** Reads (and nothing else: writes go through `transaction`). */
  readonly kysely: StoreKysely;
  transaction<T>(fn: (trx: StoreKysely) => Promise<T>): Promise<T>;
}

/** The AccountDb of a record store (the control database, or a workspace's). */
export function accountDb(store: DuckDbStore | MysqlStore): AccountDb {
  if (store.kind === 'mysql') {
    const k = store.kysely;
    return { dialect: 'mysql', kysely: k, transaction: (fn) => k.transaction().execute(fn) };
  }
  const duck = store;
  return {
    dialect: 'duckdb',
    kysely: duck.kysely,
    // account writes change nothing the analysis caches read: the data version stays
    transaction: (fn) =>
      duck.write(
        () => fn(duck.kysely),
        () => false,
      ),
  };
}

/**
 * A Kysely on one mysql2 connection already inside a transaction the caller opened itself (the record
 * store's raw mysql2 paths, e.g. MysqlStore.ingest), so `appendAudit(kyselyOnConnection(conn), 'mysql',
 * event)` commits or rolls back with that transaction. The caller keeps the connection: releasing
 * the Kysely's connection does nothing, and it opens no transaction of its own.
 */
export function kyselyOnConnection(conn: PoolConnection): StoreKysely {
  // the callback connection under the promise wrapper: what Kysely's MysqlDialect drives
  const raw = conn.connection as unknown as MysqlPoolConnection;
  const one: MysqlPoolConnection = {
    query: ((...args: unknown[]) =>
      (raw.query as (...a: unknown[]) => unknown).apply(raw, args)) as MysqlPoolConnection['query'],
    release: () => undefined,
  };
  return new Kysely<StoreTables>({
    dialect: new MysqlDialect({
      pool: { getConnection: (cb) => cb(null, one), end: (cb) => cb(null) },
    }),
  });
}
