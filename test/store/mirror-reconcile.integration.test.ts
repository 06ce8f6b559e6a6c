import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { Mirror } from '../../store/mirror/mirror.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { runChecksums } from './checksum.ts';
import { makeRecords } from './records.ts';

/**
 * A write transaction open longer than the mirror's recheck window commits ids the watermark has
 * already passed. The mirror must still end up with exactly MySQL's rows.
 */
describe('the mirror is complete whatever a transaction lasts', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: MysqlStore;
  let duck: DuckDbStore;
  let runId: number;
  let itemId: number;
  beforeAll(async () => {
    db = await createTestDatabase('recon');
    store = await MysqlStore.open(db.url, 6);
    duck = await DuckDbStore.open(`${tmp.dir}/r.duckdb`);
    await store.ingest(makeRecords({ items: 30 }));
    const [[row]] = (await store.pool.query('SELECT run_id, item_id FROM results LIMIT 1')) as unknown as [
      [{ run_id: number; item_id: number }],
    ];
    runId = Number(row!.run_id);
    itemId = Number(row!.item_id);
  });
  afterAll(async () => {
    await store?.close();
    await duck?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const insert = (c: mysql.PoolConnection, sample: number, createdAt?: string) =>
    c.query(
      `INSERT INTO results (run_id, item_id, sample, outcome, correct, created_at) VALUES (?, ?, ?, 0, 1, ${createdAt ? '?' : 'CURRENT_TIMESTAMP(3)'})`,
      createdAt ? [runId, itemId, sample, createdAt] : [runId, itemId, sample],
    );

  it('with the default 10 s window: rows of a transaction open for an hour arrive after it commits', async () => {
    const mirror = new Mirror(store.pool, duck, { reconcileIntervalMs: 0 });
    try {
      await mirror.syncOnce();
      expect(await runChecksums(duck.db)).toEqual(await runChecksums(store.db));
      const slow = await store.pool.getConnection();
      const fast = await store.pool.getConnection();
      try {
        // Time is MySQL's clock against created_at: rows stamped an hour ago stand for a transaction
        // that took its ids an hour ago and is still open, and a later one that committed long since.
        await slow.beginTransaction();
        await insert(slow, 101, '2000-01-01 00:00:00.000');
        await insert(slow, 102, '2000-01-01 00:00:00.000');
        await insert(fast, 103, '2000-01-01 00:00:01.000');
        const passing = await mirror.syncOnce();
        expect(passing.rows).toBe(1); // the committed row, above the open transaction's ids
        await mirror.syncOnce(); // and the watermark settles past them
        await slow.commit();
      } finally {
        slow.release();
        fast.release();
      }
      const s = await mirror.syncOnce();
      expect(await runChecksums(duck.db)).toEqual(await runChecksums(store.db));
      expect(s.reconciled).toBe(true);
      expect(s.repairedRows).toBe(2);
    } finally {
      mirror.dispose();
    }
  });

  it('with no window at all: a transaction held over several passes, and a late delete, end equal', async () => {
    // lookback 0: every pass takes every id as settled, so only the reconciliation can be relied on
    const mirror = new Mirror(store.pool, duck, { lookbackSeconds: 0, reconcileIntervalMs: 0 });
    try {
      const slow = await store.pool.getConnection();
      const fast = await store.pool.getConnection();
      try {
        await slow.beginTransaction();
        await insert(slow, 201);
        for (let i = 0; i < 3; i++) {
          await insert(fast, 210 + i);
          await insert(slow, 202 + i);
          const s = await mirror.syncOnce();
          expect(s.repairedRows).toBe(0); // nothing committed is missing yet
        }
        // a delete the changes log never announces (as if its log row had committed below the mark)
        await fast.query('DELETE FROM results WHERE run_id = ? AND item_id = ? AND sample = 210', [
          runId,
          itemId,
        ]);
        await slow.commit();
      } finally {
        slow.release();
        fast.release();
      }
      const s = await mirror.syncOnce();
      expect(await runChecksums(duck.db)).toEqual(await runChecksums(store.db));
      // the slow transaction's 4 rows copied (by the recheck of ids not yet settled, or else by the
      // reconciliation) and the deleted row removed (only the reconciliation can)
      expect(s.rows + s.repairedRows).toBe(4 + 1);
      expect(s.repairedRows).toBeGreaterThanOrEqual(1);
      const again = await mirror.syncOnce();
      expect(again.repairedRows).toBe(0);
    } finally {
      mirror.dispose();
    }
  });

  it('repairs a catalog change the changes log missed', async () => {
    const mirror = new Mirror(store.pool, duck, { reconcileIntervalMs: 0 });
    try {
      await mirror.syncOnce();
      // a model and an item metadata value written without a `changes` row
      await store.pool.query("INSERT INTO models (name) VALUES ('unlogged')");
      await store.pool.query('UPDATE items SET m5 = ? WHERE id = ?', ['filled', itemId]);
      const s = await mirror.syncOnce();
      const names = await duck.db.all<{ name: string }>("SELECT name FROM models WHERE name = 'unlogged'");
      expect(names.length).toBe(1);
      const [m] = await duck.db.all<{ m5: string }>('SELECT m5 FROM items WHERE id = ?', [itemId]);
      expect(m?.m5).toBe('filled');
      expect(s.catalogCopied).toBe(true);
      expect((await mirror.syncOnce()).catalogCopied).toBe(false);
    } finally {
      mirror.dispose();
    }
  });
});
