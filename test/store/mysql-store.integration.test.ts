import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { makeRecords } from './records.ts';

describe('MySQL record store', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: MysqlStore;
  beforeAll(async () => {
    db = await createTestDatabase('store');
    store = await MysqlStore.open(db.url, 4);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('appends idempotently through INSERT and LOAD DATA paths', async () => {
    const small = makeRecords({ items: 30, samples: 2 });
    expect(await store.ingest(small)).toEqual({ inserted: small.length, duplicates: 0 });
    expect(await store.ingest(small)).toEqual({ inserted: 0, duplicates: small.length });
    // large enough for LOAD DATA, with awkward text that must survive the TSV escaping
    const big = makeRecords({ benchmark: 'big', items: 1500, models: ['a', 'b'], run: 'x' }).map((r, i) => ({
      ...r,
      response: i % 7 === 0 ? 'tab\there\nnew line \\ backslash \\N not null' : r.response,
    }));
    expect(await store.ingest([...big, ...big.slice(0, 10)])).toEqual({
      inserted: big.length,
      duplicates: 10,
    });
    expect(await store.ingest(big)).toEqual({ inserted: 0, duplicates: big.length });
    const rows = await store.db.all<{ response: string | null }>(
      "SELECT r.response FROM results r JOIN items i ON i.id = r.item_id JOIN benchmarks b ON b.id = i.benchmark_id WHERE b.slug = 'big' AND r.response IS NOT NULL LIMIT 1",
    );
    expect(rows[0]!.response).toBe('tab\there\nnew line \\ backslash \\N not null');
    const [{ n }] = (await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results')) as [
      { n: number },
    ];
    expect(Number(n)).toBe(small.length + big.length);
  });

  it('keeps runs, resume keys and logs invalidations', async () => {
    const run = await store.ensureRun({
      benchmark: 'rb',
      model: 'x',
      label: 'L',
      source: 'runner',
      config: { t: 0 },
    });
    expect(run.config).toEqual({ t: 0 });
    const recs = makeRecords({ benchmark: 'rb', models: ['x'], run: 'L', items: 10 });
    await store.ingest(recs);
    expect((await store.doneKeys(run.id)).size).toBe(recs.filter((r) => r.outcome !== 'error').length);
    await store.deleteRun(run.id);
    const changes = await store.db.all<{ kind: string; run_id: number }>(
      "SELECT kind, run_id FROM changes WHERE kind = 'run'",
    );
    expect(changes.map((c) => Number(c.run_id))).toContain(run.id);
  });
});
