/**
 * importFile's bounds on a real DuckDB file: validation stops after maxErrors invalid records, and the
 * records kept between the passes are bounded by bytes (beyond, the file is read again, with the same result).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { importFile } from './import-file.ts';
import { recordBytes } from './record-bytes.ts';

const tmp = tmpDir('evalhouse-importfile-');
let store: DuckDbStore;
beforeAll(async () => {
  store = await DuckDbStore.open(join(tmp.dir, 'f.duckdb'));
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

const rec = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ benchmark: 'bounds', model: 'm', item_id: `q${i}`, correct: i % 2 === 0, ...extra });

describe('importFile bounds', () => {
  it('stops validating after maxErrors invalid records and says how many it read', async () => {
    const file = join(tmp.dir, 'bad.jsonl');
    const lines = Array.from({ length: 20_000 }, (_, i) => (i === 3 ? rec(i) : '{"benchmark": 1}'));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const s = await importFile(store, file, { maxErrors: 50 });
    expect(s).toMatchObject({ committed: false, stoppedEarly: true, errorCount: 50, read: 51, rows: 1 });
    expect(s.errors).toHaveLength(50);
    // with skipInvalid too: too many to skip is a refusal, never a silent cut
    const k = await importFile(store, file, { maxErrors: 50, skipInvalid: true });
    expect(k).toMatchObject({ committed: false, stoppedEarly: true, skipped: 0, inserted: 0 });
    const few = await importFile(store, file, { maxErrors: 100_000 });
    expect(few).toMatchObject({ stoppedEarly: false, errorCount: 19_999, read: 20_000 });
    const [row] = await store.db.all<{ n: number }>('SELECT count(*)::INTEGER AS n FROM results');
    expect(row!.n).toBe(0);
  });

  it('keeps records between the passes up to keepBytes, and reads the file again beyond', async () => {
    const file = join(tmp.dir, 'big.jsonl');
    const N = 3000;
    const response = 'x'.repeat(1000);
    writeFileSync(file, `${Array.from({ length: N }, (_, i) => rec(i, { response })).join('\n')}\n`);
    // each record holds its 1,000-character response: ≥ 2 kB estimated
    const one = recordBytes({
      benchmark: 'bounds',
      model: 'm',
      item_id: 'q1',
      sample: 0,
      outcome: 'correct',
      correct: true,
      score: null,
      metadata: {},
      response,
    });
    expect(one).toBeGreaterThanOrEqual(2000);
    // the record path's passes (the bulk path keeps no records in memory)
    const small = await importFile(store, file, {
      keepBytes: 100 * one,
      batchSize: 500,
      run: 'reread',
      bulk: false,
    });
    expect(small).toMatchObject({ committed: true, reread: true, rows: N, inserted: N, duplicates: 0 });
    const kept = await importFile(store, file, { keepBytes: 10 * N * one, run: 'kept', bulk: false });
    expect(kept).toMatchObject({ committed: true, reread: false, rows: N, inserted: N });
    const rows = await store.db.all<{ label: string; n: number; correct: number }>(
      `SELECT u.label, count(*)::INTEGER AS n, count(*) FILTER (WHERE r.correct)::INTEGER AS correct
       FROM results r JOIN runs u ON u.id = r.run_id GROUP BY u.label ORDER BY u.label`,
    );
    expect(rows).toEqual([
      { label: 'kept', n: N, correct: N / 2 },
      { label: 'reread', n: N, correct: N / 2 },
    ]);
  });

  it('ends a store write once its records hold batchBytes, whatever batchSize allows', async () => {
    const file = join(tmp.dir, 'long.jsonl');
    const N = 40;
    const response = 'y'.repeat(50_000); // ≈ 100 kB estimated per record
    writeFileSync(file, `${Array.from({ length: N }, (_, i) => rec(i, { response })).join('\n')}\n`);
    // the real store, counting what each write is given
    const writes: { rows: number; chars: number }[] = [];
    const counting = Object.create(store) as DuckDbStore;
    counting.ingest = (records, opts) => {
      writes.push({
        rows: records.length,
        chars: records.reduce((n, r) => n + (r.response?.length ?? 0), 0),
      });
      return store.ingest(records, opts);
    };
    // not kept between the passes (keepBytes), so the write pass batches what it reads again
    const s = await importFile(counting, file, {
      batchSize: 250_000,
      batchBytes: 1_000_000,
      keepBytes: 1_000_000,
      bulk: false,
      run: 'bytes',
    });
    expect(s).toMatchObject({ committed: true, rows: N, inserted: N });
    // 1 MB at ≈ 100 kB a record: writes of at most 10 records (≤ 500k characters), 4 or more of them
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const w of writes) expect(w.chars).toBeLessThanOrEqual(10 * response.length);
    expect(writes.reduce((n, w) => n + w.rows, 0)).toBe(N);
    const [row] = await store.db.all<{ n: number; len: number }>(
      `SELECT count(*)::INTEGER AS n, min(length(r.response))::INTEGER AS len
       FROM results r JOIN runs u ON u.id = r.run_id WHERE u.label = 'bytes'`,
    );
    expect(row).toEqual({ n: N, len: response.length });
  });

  it("refuses a token count the stores cannot hold as that record's error, from any importer", async () => {
    const file = join(tmp.dir, 'tokens.jsonl');
    writeFileSync(file, `${rec(1)}\n${rec(2, { tokens_in: 3e9 })}\n`);
    const s = await importFile(store, file, { run: 'tokens' });
    expect(s).toMatchObject({ committed: false, errorCount: 1, inserted: 0 });
    expect(s.errors[0]).toMatchObject({ line: 2, field: 'tokens_in' });
    expect(s.errors[0]!.message).toMatch(/at most 2147483647/);
    // the same count from an importer without that schema (a promptfoo export) meets the gate too
    const pf = join(tmp.dir, 'promptfoo-tokens.json');
    writeFileSync(
      pf,
      JSON.stringify({
        evalId: 'e',
        results: {
          results: [
            {
              testIdx: 0,
              promptIdx: 0,
              success: true,
              provider: { id: 'openai:m' },
              response: { output: 'ok', tokenUsage: { prompt: 3e9, completion: 1 } },
            },
          ],
        },
      }),
    );
    const p = await importFile(store, pf, { format: 'promptfoo' });
    expect(p).toMatchObject({ committed: false, errorCount: 1 });
    expect(p.errors[0]).toMatchObject({ field: 'tokens_in' });
  });
});
