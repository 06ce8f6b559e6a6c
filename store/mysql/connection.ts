import { Migrator } from 'kysely';
import type { Connection as CallbackConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import type { Db } from '../db.ts';
import {
  adoptLegacyMigrationTable,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  mysqlKysely,
  SqlFileMigrationProvider,
} from '../kysely-mysql.ts';

const SQL_DIR = new URL('../../sql/mysql/', import.meta.url).pathname;

export function createMysqlPool(url: string, size: number): mysql.Pool {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: size,
    waitForConnections: true,
    queueLimit: 0,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    dateStrings: false,
    timezone: 'Z',
    charset: 'utf8mb4',
  });
  // Notes (e.g. "unsafe for statement-based binlog") are not warnings: without them, a warning count
  // above the duplicates an INSERT IGNORE skipped means a value was altered (store/mysql/append.ts).
  // (the event passes the callback connection under the promise wrapper, whatever the types say)
  pool.on('connection', (conn) => {
    (conn as unknown as CallbackConnection).query('SET SESSION sql_notes = 0', () => undefined);
  });
  return pool;
}

type Queryable = mysql.Pool | mysql.PoolConnection;

/** A Db over a mysql2 pool (or one connection, inside a transaction). */
export class MysqlDb implements Db {
  readonly dialect = 'mysql' as const;
  constructor(readonly q: Queryable) {}

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const [rows] = await this.q.query(sql, params as unknown[]);
    return rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const [res] = await this.q.query(sql, params as unknown[]);
    return (res as mysql.ResultSetHeader).affectedRows ?? 0;
  }

  async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!('getConnection' in this.q)) return fn(this); // already on one connection
    const conn = await this.q.getConnection();
    try {
      await conn.beginTransaction();
      const out = await fn(new MysqlDb(conn));
      await conn.commit();
      return out;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }
}

/**
 * NO PAD binary collations, preferred first: MariaDB's, MySQL 8's. MariaDB's and MySQL 5.7's utf8mb4_bin
 * pads with spaces ('m' = 'm '); DuckDB compares strings exactly, and so must MySQL.
 */
const NOPAD_BIN_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'] as const;

/** The server's NO PAD binary utf8mb4 collation; a server without one cannot hold names exactly. */
export async function nopadBinCollation(pool: mysql.Pool): Promise<string> {
  const [rows] = await pool.query(
    `SELECT COLLATION_NAME AS c FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (${NOPAD_BIN_COLLATIONS.map(() => '?').join(', ')})`,
    [...NOPAD_BIN_COLLATIONS],
  );
  const have = new Set((rows as { c: string }[]).map((r) => r.c));
  const c = NOPAD_BIN_COLLATIONS.find((x) => have.has(x));
  if (!c) {
    throw new Error(
      `this MySQL server has no NO PAD binary utf8mb4 collation (${NOPAD_BIN_COLLATIONS.join(' or ')}); evalhouse needs MariaDB ≥ 10.2 or MySQL ≥ 8.0.17 to keep names that differ by trailing spaces apart`,
    );
  }
  return c;
}

/**
 * Applies sql/mysql/NNN_*.sql files not applied yet through Kysely's Migrator (which holds a server lock
 * meanwhile, so two processes starting at once do not both apply a file), recording each in
 * schema_migrations. A file may name the server's NO PAD binary collation as {{NOPAD_BIN}} (MariaDB and
 * MySQL 8 spell it differently); it is replaced by a name from our constant list, never by input.
 */
export async function migrateMysql(pool: mysql.Pool): Promise<string[]> {
  await adoptLegacyMigrationTable(pool);
  let collation: string | null = null;
  const provider = new SqlFileMigrationProvider(SQL_DIR, async (text) => {
    if (!text.includes('{{NOPAD_BIN}}')) return text;
    collation ??= await nopadBinCollation(pool);
    return text.replaceAll('{{NOPAD_BIN}}', collation);
  });
  const migrator = new Migrator({
    db: mysqlKysely(pool),
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) throw error;
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
