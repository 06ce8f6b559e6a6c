import type { Kysely } from 'kysely';
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
