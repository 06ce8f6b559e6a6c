import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { Mirror } from '../../store/mirror/mirror.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { runChecksums } from './checksum.ts';
import { makeRecords } from './records.ts';

describe('MySQL → DuckDB mirror', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let mysql: MysqlStore;
  let duck: DuckDbStore;
  let mirror: Mirror;
  beforeAll(async () => {
    db = await createTestDatabase('mirror');
    mysql = await MysqlStore.open(db.url, 4);
    duck = await DuckDbStore.open(`${tmp.dir}/m.duckdb`);
    mirror = new Mirror(mysql.pool, duck);
  });
  afterAll(async () => {
    await mysql?.close();
    await duck?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('copies results incrementally and equal on both sides', async () => {
    await mysql.ingest(makeRecords({ items: 40, samples: 2 }));
    await mirror.syncOnce();
    expect(await runChecksums(duck.db)).toEqual(await runChecksums(mysql.db));
    await mysql.ingest(makeRecords({ benchmark: 'b2', items: 1200, models: ['m1', 'm3'], seed: 9 }));
    const s = await mirror.syncOnce();
    expect(s.rows).toBe(2400);
    expect(await runChecksums(duck.db)).toEqual(await runChecksums(mysql.db));
    // nothing new: nothing copied, no new data version
    const v = duck.dataVersion;
    const again = await mirror.syncOnce();
    expect(again.rows).toBe(0);
    expect(duck.dataVersion).toBe(v);
    // metadata arrives as typed ENUM columns
    const meta = await duck.db.all<{ t: string }>(
      "SELECT data_type AS t FROM information_schema.columns WHERE table_name LIKE 'meta_%' AND column_name = 'f0'",
    );
    expect(meta.length).toBe(2);
    for (const m of meta) expect(m.t).toMatch(/ENUM/);
  });

  it('replays deleted runs and removed error rows', async () => {
    const runs = await mysql.listRuns();
    await mysql.deleteRun(runs[0]!.id);
    await mysql.deleteErrors(runs[1]!.id);
    const s = await mirror.syncOnce();
    expect(s.invalidatedRuns).toBe(2);
    expect(await runChecksums(duck.db)).toEqual(await runChecksums(mysql.db));
    expect((await duck.listRuns()).map((r) => r.id)).toEqual((await mysql.listRuns()).map((r) => r.id));
  });

  it('catches rows a slow transaction commits below ids the mirror already passed', async () => {
    const [[{ run_id, item_id }]] = (await mysql.pool.query(
      'SELECT run_id, item_id FROM results LIMIT 1',
    )) as unknown as [[{ run_id: number; item_id: number }]];
    const slow = await mysql.pool.getConnection();
    const fast = await mysql.pool.getConnection();
    try {
      await slow.beginTransaction();
      // takes the lower ids first, commits last
      await slow.query(
        'INSERT INTO results (run_id, item_id, sample, outcome, correct) VALUES (?, ?, 101, 0, 1), (?, ?, 102, 1, 0)',
        [run_id, item_id, run_id, item_id],
      );
      await fast.query(
        'INSERT INTO results (run_id, item_id, sample, outcome, correct) VALUES (?, ?, 103, 0, 1)',
        [run_id, item_id],
      );
      await mirror.syncOnce();
      const before = await runChecksums(duck.db);
      await slow.commit();
      expect(before).not.toEqual(await runChecksums(mysql.db));
      await mirror.syncOnce();
      expect(await runChecksums(duck.db)).toEqual(await runChecksums(mysql.db));
    } finally {
      slow.release();
      fast.release();
    }
  });
});
