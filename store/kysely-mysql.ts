import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, type Migration, type MigrationProvider, MysqlDialect, sql } from 'kysely';
import type mysql from 'mysql2/promise';
import type { StoreTables } from './schema.ts';

/** Where Kysely's Migrator records applied files: the table the hand-written migrator kept. */
export const MIGRATION_TABLE = 'schema_migrations';
export const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';

/**
 * A Kysely over an existing mysql2 pool (its callback pool underneath), typed by the tables store/schema.ts
 * declares. Never `destroy()` it: that would end the pool, which its store owns and closes.
 */
export function mysqlKysely(pool: mysql.Pool): Kysely<StoreTables> {
  return new Kysely<StoreTables>({ dialect: new MysqlDialect({ pool: pool.pool }) });
}

/**
 * A Kysely on one connection of the pool, for statements inside a transaction the caller opened on it
 * (mysql2's beginTransaction): Kysely never releases it, its owner does.
 */
export function connectionKysely(conn: mysql.PoolConnection): Kysely<StoreTables> {
  const raw = (conn as unknown as { connection: object }).connection;
  const held = new Proxy(raw, {
    get(target, prop) {
      if (prop === 'release') return () => undefined;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  type Cb = (err: unknown, c?: unknown) => void;
  const pool = { getConnection: (cb: Cb) => cb(null, held), end: (cb: Cb) => cb(null) };
  return new Kysely<StoreTables>({ dialect: new MysqlDialect({ pool: pool as never }) });
}

/** Splits a migration file into statements: `--` comment lines dropped, statements end with `;` + newline. */
export function sqlStatements(text: string): string[] {
  return text
    .replace(/^--.*$/gm, '')
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The NNN_*.sql files of a folder as Kysely migrations named by file name (Kysely orders them by name,
 * as before). `substitute` fills placeholders in a file's text before it is split (e.g. {{NOPAD_BIN}}).
 */
export class SqlFileMigrationProvider implements MigrationProvider {
  constructor(
    private readonly dir: string,
    private readonly substitute: (text: string) => Promise<string> = async (t) => t,
  ) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const f of readdirSync(this.dir).filter((f) => f.endsWith('.sql'))) {
      const path = join(this.dir, f);
      out[f] = {
        up: async (db) => {
          const text = await this.substitute(readFileSync(path, 'utf8'));
          for (const stmt of sqlStatements(text)) await sql.raw(stmt).execute(db);
        },
      };
    }
    return out;
  }
}

/**
 * Adopts a `schema_migrations` table written by the hand-written migrator (name, applied_at) for Kysely's
 * Migrator, which reads (name, timestamp): adds the column and fills it from applied_at, so applied files
 * stay applied. Idempotent, and safe when two processes adopt at once.
 */
export async function adoptLegacyMigrationTable(pool: mysql.Pool): Promise<void> {
  const [cols] = await pool.query(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [MIGRATION_TABLE],
  );
  const names = new Set((cols as { c: string }[]).map((r) => r.c));
  if (!names.has('applied_at')) return; // no table yet, or made by Kysely
  if (!names.has('timestamp')) {
    try {
      await pool.query(`ALTER TABLE ${MIGRATION_TABLE} ADD COLUMN timestamp VARCHAR(255) NULL`);
    } catch (err) {
      if ((err as { errno?: number }).errno !== 1060) throw err; // 1060: another process added it first
    }
  }
  // the ISO text Kysely writes, from the instant (UNIX_TIMESTAMP does not depend on the session time zone)
  const [rows] = await pool.query(
    `SELECT name, UNIX_TIMESTAMP(applied_at) AS t FROM ${MIGRATION_TABLE} WHERE timestamp IS NULL`,
  );
  for (const r of rows as { name: string; t: string | number }[]) {
    await pool.query(`UPDATE ${MIGRATION_TABLE} SET timestamp = ? WHERE name = ? AND timestamp IS NULL`, [
      new Date(Number(r.t) * 1000).toISOString(),
      r.name,
    ]);
  }
}
