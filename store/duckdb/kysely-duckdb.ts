import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { Db } from '../db.ts';
import type { StoreTables } from '../schema.ts';

/**
 * Kysely on the DuckDB store's writer connection, so the record store's queries (store/catalog.ts,
 * store/runs.ts) are written once for both engines. SQLite's compiler writes SQL DuckDB reads as is
 * (`?` parameters, "quoted" names, INSERT OR IGNORE); the queries run through the store's own `Db`, so
 * its value conversions, its transaction and its writer mutex stay what they were. Not the published
 * kysely-duckdb (0.4, about 1,500 downloads a month): it depends on @duckdb/duckdb-wasm and web-worker
 * as well, and all this needs is to hand compiled SQL to a connection we already have.
 */
export function duckKysely(db: Db): Kysely<StoreTables> {
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      if (q.query.kind === 'SelectQueryNode' || q.query.kind === 'RawNode')
        return { rows: await db.all<R>(q.sql, q.parameters) };
      return { rows: [], numAffectedRows: BigInt(await db.run(q.sql, q.parameters)) };
    },
    streamQuery() {
      throw new Error('the DuckDB store does not stream record-store queries');
    },
  };
  // DuckDbStore.write owns transactions (one writer, a mutex, BEGIN on this connection): Kysely opens none
  const noTransactions = () => Promise.reject(new Error('DuckDB store transactions are DuckDbStore.write'));
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: noTransactions,
    commitTransaction: noTransactions,
    rollbackTransaction: noTransactions,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  return new Kysely<StoreTables>({ dialect });
}
