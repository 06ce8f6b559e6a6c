import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';

const rec = (over: Partial<CanonicalRecord>): CanonicalRecord => ({
  benchmark: 'old',
  model: 'm',
  run: 'r',
  item_id: 'x',
  sample: 0,
  outcome: 'correct',
  correct: true,
  score: null,
  metadata: {},
  ...over,
});

describe('a MySQL database at migration 001 moves to exact names and whole answers', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: MysqlStore;
  const long = `${'a'.repeat(191)}-tail`;
  beforeAll(async () => {
    db = await createTestDatabase('mig');
    // the database as version 1 left it: schema 001 only, with a result in it
    const conn = await mysql.createConnection(db.url);
    await conn.query(
      'CREATE TABLE schema_migrations (name VARCHAR(191) PRIMARY KEY, applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))',
    );
    const text = readFileSync('sql/mysql/001_schema.sql', 'utf8').replace(/^--.*$/gm, '');
    for (const stmt of text
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter(Boolean))
      await conn.query(stmt);
    await conn.query("INSERT INTO schema_migrations (name) VALUES ('001_schema.sql')");
    await conn.query("INSERT INTO benchmarks (slug) VALUES ('old')");
    await conn.query("INSERT INTO models (name) VALUES ('m')");
    await conn.query("INSERT INTO items (benchmark_id, item_key) VALUES (1, 'x')");
    await conn.query("INSERT INTO runs (benchmark_id, model_id, label, source) VALUES (1, 1, 'r', 'import')");
    await conn.query(
      "INSERT INTO results (run_id, item_id, sample, outcome, correct, answer) VALUES (1, 1, 0, 0, 1, 'B')",
    );
    // before the migration the server itself merges 'm' and 'm ' (PAD SPACE)
    const [[pad]] = (await conn.query("SELECT count(*) AS n FROM models WHERE name = 'm '")) as unknown as [
      [{ n: number }],
    ];
    expect(Number(pad!.n)).toBe(1);
    await conn.end();
    store = await MysqlStore.open(db.url, 2);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('records the migration, converts every text column to a NO PAD binary collation, widens answer', async () => {
    const done = await store.db.all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(done.map((d) => d.name)).toContain('002_nopad_whole_values.sql');
    const cols = await store.db.all<{ t: string; c: string; coll: string | null; type: string }>(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLLATION_NAME AS coll, DATA_TYPE AS type
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('schema_migrations', 'schema_migrations_lock')
         AND COLLATION_NAME IS NOT NULL`,
    );
    expect(cols.length).toBeGreaterThan(10);
    for (const c of cols) expect(`${c.t}.${c.c} ${c.coll}`).toMatch(/ (utf8mb4_nopad_bin|utf8mb4_0900_bin)$/);
    expect(cols.find((c) => c.t === 'results' && c.c === 'answer')?.type).toBe('mediumtext');
    // the old rows are still there
    const [row] = await store.db.all<{ answer: string }>('SELECT answer FROM results');
    expect(row?.answer).toBe('B');
  });

  it('keeps "m " apart from the old "m", and long answers whole', async () => {
    expect(await store.ingest([rec({ model: 'm ', answer: long })])).toEqual({ inserted: 1, duplicates: 0 });
    const models = await store.db.all<{ name: string }>('SELECT name FROM models ORDER BY id');
    expect(models.map((m) => m.name)).toEqual(['m', 'm ']);
    const [row] = await store.db.all<{ answer: string }>(
      "SELECT r.answer FROM results r JOIN runs ru ON ru.id = r.run_id JOIN models m ON m.id = ru.model_id WHERE m.name = 'm '",
    );
    expect(row?.answer).toBe(long);
  });

  it('refuses a value MySQL would alter instead of storing it altered, and stores nothing of the batch', async () => {
    const before = await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results');
    const batch = [rec({ item_id: 'y' }), rec({ item_id: 'z', tokens_in: 3e9 })]; // INT holds < 2^31
    const err = await store.ingest(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).statusCode).toBe(400);
    expect((err as AppError).message).toMatch(/tokens_in/);
    expect(await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results')).toEqual(before);
  });
});
