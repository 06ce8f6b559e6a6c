import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { evalhouse } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { runChecksums } from './checksum.ts';
import { makeRecords } from './records.ts';

describe('a mirror killed mid-sync', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let mysql: MysqlStore;
  beforeAll(async () => {
    db = await createTestDatabase('mkill');
    mysql = await MysqlStore.open(db.url, 4);
    const models = Array.from({ length: 10 }, (_, i) => `model${i}`);
    for (const b of ['k1', 'k2', 'k3']) {
      const recs = makeRecords({ benchmark: b, models, items: 20_000, seed: b.length + b.charCodeAt(1) });
      for (let i = 0; i < recs.length; i += 50_000) await mysql.ingest(recs.slice(i, i + 50_000));
    }
  }, 180_000);
  afterAll(async () => {
    await mysql?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('ends equal to MySQL after kill -9 at random moments and a final sync', async () => {
    const env = { MYSQL_URL: db.url, DUCKDB_PATH: `${tmp.dir}/mirror.duckdb` };
    let kills = 0;
    let seed = 42;
    for (let attempt = 0; attempt < 5; attempt++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const delay = 600 + (seed % 2400);
      const run = evalhouse(['mirror'], env);
      const timer = setTimeout(() => {
        if (run.child.exitCode === null) {
          run.child.kill('SIGKILL');
          kills++;
        }
      }, delay);
      await run.done;
      clearTimeout(timer);
    }
    // a deleted run while the mirror was down is replayed too
    const runs = await mysql.listRuns();
    await mysql.deleteRun(runs[3]!.id);
    const last = await evalhouse(['mirror'], env).done;
    expect(last.code, last.stderr).toBe(0);
    console.log(`mirror kill test: ${kills} kills; last pass: ${last.stdout.trim()}`);
    expect(kills).toBeGreaterThan(0);
    const duck = await DuckDbStore.open(env.DUCKDB_PATH);
    try {
      const [mine, theirs] = [await runChecksums(duck.db), await runChecksums(mysql.db)];
      expect(Object.keys(theirs).length).toBe(29);
      expect(mine).toEqual(theirs);
    } finally {
      await duck.close();
    }
  }, 180_000);
});
