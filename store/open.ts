import type { Config } from '../core/config.ts';
import type { RecordStore } from '../core/store.ts';
import { DuckDbStore, duckDbResources } from './duckdb/duckdb-store.ts';
import { MysqlStore } from './mysql/mysql-store.ts';

/** The system of record the configuration names: MySQL when MYSQL_URL is set, else the embedded DuckDB file. */
export async function openRecordStore(config: Config): Promise<RecordStore> {
  if (config.mysqlUrl) return MysqlStore.open(config.mysqlUrl, config.mysqlPoolSize, duckDbResources(config));
  return DuckDbStore.open(config.duckdbPath, duckDbResources(config));
}

/**
 * Whether a record store is one of our databases (accounts, audit log, registry and prompts live in it),
 * rather than a store of another kind (the tests' memory store).
 */
export function isDatabaseOfRecord(store: unknown): store is DuckDbStore | MysqlStore {
  return store instanceof DuckDbStore || store instanceof MysqlStore;
}
