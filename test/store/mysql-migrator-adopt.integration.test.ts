import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { createMysqlPool, migrateMysql, nopadBinCollation } from '../../store/mysql/connection.ts';
import { createTestDatabase } from '../helpers/mysql.ts';

const SQL_DIR = 'sql/mysql';
const FILES = readdirSync(SQL_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort();

/**
 * The hand-written migrator evalhouse used before Kysely's Migrator (store/mysql/connection.ts at
 * 56fd8ad), frozen here: the databases it made must keep working. `upTo` stops after that many files.
 */
async function oldMigrator(pool: mysql.Pool, upTo = FILES.length): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(191) PRIMARY KEY, applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))',
  );
  for (const f of FILES.slice(0, upTo)) {
    let text = readFileSync(join(SQL_DIR, f), 'utf8').replace(/^--.*$/gm, '');
    if (text.includes('{{NOPAD_BIN}}'))
      text = text.replaceAll('{{NOPAD_BIN}}', await nopadBinCollation(pool));
    for (const stmt of text
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter(Boolean))
      await pool.query(stmt);
    await pool.query('INSERT IGNORE INTO schema_migrations (name) VALUES (?)', [f]);
  }
}

const applied = async (pool: mysql.Pool) => {
  const [rows] = await pool.query('SELECT name, timestamp FROM schema_migrations ORDER BY name');
  return rows as { name: string; timestamp: string | null }[];
};

describe("Kysely's Migrator over sql/mysql", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  async function database(prefix: string) {
    const db = await createTestDatabase(prefix);
    const pool = createMysqlPool(db.url, 4);
    cleanup.push(db.drop, () => pool.end());
    return Object.assign(pool, { url: db.url });
  }

  it('adopts a database the old migrator made: re-applies no file, keeps the rows', async () => {
    expect(FILES.length).toBeGreaterThanOrEqual(3);
    const pool = await database('adopt');
    await oldMigrator(pool);
    await pool.query("INSERT INTO benchmarks (slug) VALUES ('kept')");
    expect(await migrateMysql(pool)).toEqual([]);
    expect(await migrateMysql(pool)).toEqual([]);
    const rows = await applied(pool);
    expect(rows.map((r) => r.name)).toEqual(FILES);
    for (const r of rows) expect(Number.isNaN(new Date(String(r.timestamp)).getTime())).toBe(false);
    const [b] = await pool.query('SELECT slug FROM benchmarks');
    expect(b).toEqual([{ slug: 'kept' }]);
  });

  it('applies only the files the old migrator had not applied, in order', async () => {
    const pool = await database('adopt1');
    await oldMigrator(pool, 1);
    expect(await migrateMysql(pool)).toEqual(FILES.slice(1));
    expect((await applied(pool)).map((r) => r.name)).toEqual(FILES);
    expect(await migrateMysql(pool)).toEqual([]);
  });

  it('applies each file once when two processes migrate a fresh database at the same time', async () => {
    const pool = await database('race');
    const other = createMysqlPool(pool.url, 4);
    cleanup.push(() => other.end());
    const [a, b] = await Promise.all([migrateMysql(pool), migrateMysql(other)]);
    expect([...a, ...b].sort()).toEqual(FILES);
    expect((await applied(pool)).map((r) => r.name)).toEqual(FILES);
  });
});
