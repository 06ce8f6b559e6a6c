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

  it('registers a batch of new items through LOAD DATA as given, once', async () => {
    // 2,500 new items (the LOAD DATA path from 2,000), keys and texts that the TSV escaping must carry
    const awkward = ['tab\there', 'new\nline', 'back\\slash', '\\N', 'cr\rx', 'quote"s', 'ünï ✓'];
    const recs = makeRecords({ benchmark: 'many', items: 2500, models: ['m'], run: 'r' }).map((r, i) => ({
      ...r,
      item_id: i % 100 === 0 ? `${awkward[(i / 100) % awkward.length]}-${i}` : r.item_id,
      reference: i % 3 === 0 ? `ref ${awkward[i % awkward.length]}` : null,
      input: i % 5 === 0 ? `input ${awkward[i % awkward.length]}` : undefined,
      metadata: { ...r.metadata, subject: awkward[i % awkward.length]! },
    }));
    expect(await store.ingest(recs)).toEqual({ inserted: recs.length, duplicates: 0 });
    const rows = await store.db.all<{
      item_key: string;
      reference: string | null;
      input: string | null;
      metadata: unknown;
    }>(
      "SELECT i.item_key, i.reference, i.input, i.metadata FROM items i JOIN benchmarks b ON b.id = i.benchmark_id WHERE b.slug = 'many'",
    );
    const stored = new Map(rows.map((r) => [r.item_key, r]));
    expect(stored.size).toBe(recs.length);
    for (const r of recs) {
      const row = stored.get(r.item_id);
      expect(row, r.item_id).toBeDefined();
      expect(row!.reference).toBe(r.reference ?? null);
      expect(row!.input).toBe(r.input ?? null);
      const meta = typeof row!.metadata === 'string' ? JSON.parse(row!.metadata) : row!.metadata;
      expect(meta).toEqual(r.metadata);
    }
    // every result points at its own item
    const joined = await store.db.all<{ item_key: string; latency_ms: number }>(
      "SELECT i.item_key, r.latency_ms FROM results r JOIN items i ON i.id = r.item_id JOIN benchmarks b ON b.id = i.benchmark_id WHERE b.slug = 'many'",
    );
    const latency = new Map(recs.map((r) => [r.item_id, r.latency_ms]));
    expect(joined.length).toBe(recs.length);
    for (const j of joined) expect(Number(j.latency_ms)).toBe(latency.get(j.item_key));
    // again, from a store that has forgotten its cache: no item and no result twice
    const again = await MysqlStore.open(db.url, 2);
    try {
      expect(await again.ingest(recs)).toEqual({ inserted: 0, duplicates: recs.length });
    } finally {
      await again.close();
    }
    const [count] = await store.db.all<{ n: number }>(
      "SELECT count(*) AS n FROM items i JOIN benchmarks b ON b.id = i.benchmark_id WHERE b.slug = 'many'",
    );
    expect(Number(count!.n)).toBe(recs.length);
  });

  it('keeps the results id key non-unique (004: a unique one was checked on every insert)', async () => {
    const keys = await store.db.all<{ Key_name: string; Non_unique: number; Column_name: string }>(
      "SHOW INDEX FROM results WHERE Column_name = 'id'",
    );
    expect(keys.map((k) => [k.Key_name, Number(k.Non_unique)])).toEqual([['ix_results_id', 1]]);
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
