import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { Mirror } from '../../store/mirror/mirror.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { ITEMS, mirrored } from '../../store/schema.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeRecords } from './records.ts';

const COLS = mirrored(ITEMS)
  .map((c) => c.name)
  .join(', ');

// The mirror copies only the items above its highest id while the older ones agree with MySQL, and all of
// them when they do not: a metadata value filled in, an item that committed after a higher one was copied.
describe('the mirror of the items', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let mysql: MysqlStore;
  let duck: DuckDbStore;
  let mirror: Mirror;
  const rows = async () => ({
    mysql: (
      (
        await mysql.pool.query({ sql: `SELECT ${COLS} FROM items ORDER BY id`, rowsAsArray: true })
      )[0] as unknown[][]
    ).map((r) => r.map((v) => (v === null ? null : String(v)))),
    duck: (await duck.db.conn.runAndReadAll(`SELECT ${COLS} FROM items ORDER BY id`))
      .getRows()
      .map((r) => r.map((v) => (v === null ? null : String(v)))),
  });
  const catalogChange = () => mysql.pool.query("INSERT INTO changes (kind) VALUES ('catalog')");
  beforeAll(async () => {
    db = await createTestDatabase('mitems');
    mysql = await MysqlStore.open(db.url, 4);
    duck = await DuckDbStore.open(`${tmp.dir}/m.duckdb`);
    mirror = new Mirror(mysql.pool, duck, { reconcileIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await mysql?.close();
    await duck?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('copies new items, filled values and late items', async () => {
    await mysql.ingest(makeRecords({ items: 30 }));
    await mirror.syncOnce();
    let r = await rows();
    expect(r.duck.length).toBe(30);
    expect(r.duck).toEqual(r.mysql);

    await mysql.ingest(makeRecords({ benchmark: 'b2', items: 25, seed: 3 }));
    expect((await mirror.syncOnce()).catalogCopied).toBe(true);
    r = await rows();
    expect(r.duck.length).toBe(55);
    expect(r.duck).toEqual(r.mysql);

    // a value filled in on an old item (as Catalog.fillItems does), logged as a catalog change
    await mysql.pool.query(
      "UPDATE items SET m9 = 'filled' WHERE id = (SELECT MIN(id) FROM (SELECT id FROM items) t)",
    );
    await catalogChange();
    await mirror.syncOnce();
    r = await rows();
    expect(r.duck.flat()).toContain('filled');
    expect(r.duck).toEqual(r.mysql);

    // an item whose transaction takes the lower id and commits after a higher one was mirrored
    const [[b]] = (await mysql.pool.query('SELECT MIN(id) AS id FROM benchmarks')) as unknown as [
      [{ id: number }],
    ];
    const slow = await mysql.pool.getConnection();
    try {
      await slow.beginTransaction();
      await slow.query("INSERT INTO items (benchmark_id, item_key) VALUES (?, 'late')", [b!.id]);
      await mysql.pool.query("INSERT INTO items (benchmark_id, item_key) VALUES (?, 'early')", [b!.id]);
      await catalogChange();
      await mirror.syncOnce();
      expect((await rows()).duck.flat()).toContain('early');
      await slow.commit();
    } finally {
      slow.release();
    }
    await catalogChange();
    await mirror.syncOnce();
    r = await rows();
    expect(r.duck.flat()).toContain('late');
    expect(r.duck).toEqual(r.mysql);
  });
});
