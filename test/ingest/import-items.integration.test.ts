/**
 * Set-based item registration (issue 19): a file whose items are all new, then a file of other models on
 * exactly those items (all exist), into the embedded DuckDB store. TEST DATA written here: benchmark
 * `itembench`, models `m-a`, `m-b`, `m-c`; item q<i> has metadata topic t<i % 7> and level i % 5.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../ingest/import-file.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ITEMS = 6000;
const tmp = tmpDir('evalhouse-import-items-');
let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(join(tmp.dir, 'items.duckdb'));
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

/** Whether model m answers item i correctly in these files: a rule the test checks the store against. */
const correct = (m: string, i: number) => (i * (m.charCodeAt(2) - 96)) % 3 === 0;

/** A canonical CSV: every model of `models` on items q0..q<ITEMS-1>. */
function csvFile(name: string, models: string[]): string {
  const lines = ['benchmark,model,item_id,correct,latency_ms,meta.topic,meta.level'];
  for (const m of models)
    for (let i = 0; i < ITEMS; i++)
      lines.push(`itembench,${m},q${i},${correct(m, i)},${100 + i},t${i % 7},${i % 5}`);
  const path = join(tmp.dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const count = async (sql: string) => Number((await store.db.all<{ n: number }>(sql))[0]?.n);

describe('importing items in bulk', () => {
  it('a file whose items are all new registers each once, with its metadata, in several batches', async () => {
    const s = await importFile(store, csvFile('new.csv', ['m-a']), { batchSize: 1000 });
    expect(s).toMatchObject({ committed: true, rows: ITEMS, inserted: ITEMS, duplicates: 0, runs: 1 });
    expect(await count('SELECT count(*) AS n FROM items')).toBe(ITEMS);
    expect(await count('SELECT count(DISTINCT item_key) AS n FROM items')).toBe(ITEMS);
    const meta = await store.db.all<{ item_key: string; metadata: string }>(
      'SELECT item_key, metadata FROM items',
    );
    for (const { item_key, metadata } of meta) {
      const i = Number(item_key.slice(1));
      expect(JSON.parse(metadata)).toEqual({ topic: `t${i % 7}`, level: i % 5 });
    }
  });

  it('a file of other models on the same items adds results and no item, each result on its item', async () => {
    const file = csvFile('existing.csv', ['m-b', 'm-c']);
    const s = await importFile(store, file);
    expect(s).toMatchObject({
      committed: true,
      rows: 2 * ITEMS,
      inserted: 2 * ITEMS,
      duplicates: 0,
      runs: 2,
    });
    expect(await count('SELECT count(*) AS n FROM items')).toBe(ITEMS);
    const rows = await store.db.all<{
      model: string;
      item_key: string;
      correct: boolean;
      latency_ms: number;
    }>(
      `SELECT m.name AS model, i.item_key, r.correct, r.latency_ms FROM results r
       JOIN runs u ON u.id = r.run_id JOIN models m ON m.id = u.model_id JOIN items i ON i.id = r.item_id`,
    );
    expect(rows).toHaveLength(3 * ITEMS);
    let right = 0;
    for (const r of rows) {
      const i = Number(r.item_key.slice(1));
      expect(r.correct).toBe(correct(r.model, i));
      expect(r.latency_ms).toBe(100 + i);
      right += r.correct ? 1 : 0;
    }
    let expected = 0;
    for (const m of ['m-a', 'm-b', 'm-c']) for (let i = 0; i < ITEMS; i++) expected += correct(m, i) ? 1 : 0;
    expect(right).toBe(expected);
    // the items' metadata is the first file's, and its positional columns are the analyses' groups
    const groups = await store.db.all<{ n: number }>(
      `SELECT count(DISTINCT i.item_key) AS n FROM items i GROUP BY i.m0 ORDER BY 1`,
    );
    expect(groups.map((g) => Number(g.n)).reduce((a, b) => a + b, 0)).toBe(ITEMS);
  });

  it('importing the second file again adds nothing: every record a duplicate', async () => {
    const s = await importFile(store, join(tmp.dir, 'existing.csv'), { batchSize: 5000 });
    expect(s).toMatchObject({ committed: true, inserted: 0, duplicates: 2 * ITEMS });
    expect(await count('SELECT count(*) AS n FROM results')).toBe(3 * ITEMS);
    expect(await count('SELECT count(*) AS n FROM items')).toBe(ITEMS);
  });
});
