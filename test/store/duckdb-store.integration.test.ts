import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeRecords } from './records.ts';

describe('DuckDB record store', () => {
  const tmp = tmpDir();
  afterAll(() => tmp.cleanup());

  it('appends idempotently on (run, item, sample) and types metadata', async () => {
    const store = await DuckDbStore.open(`${tmp.dir}/a.duckdb`);
    const recs = makeRecords({ items: 30, samples: 2 });
    const first = await store.ingest(recs);
    expect(first).toEqual({ inserted: recs.length, duplicates: 0 });
    const again = await store.ingest(recs);
    expect(again).toEqual({ inserted: 0, duplicates: recs.length });
    // a batch that repeats a key inside itself keeps the first
    const dup = makeRecords({ items: 2, run: 'r2' });
    const twice = await store.ingest([...dup, ...dup]);
    expect(twice.inserted).toBe(dup.length);
    const [{ n }] = (await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results')) as [
      { n: number },
    ];
    expect(n).toBe(recs.length + dup.length);
    const fields = await store.db.all<{ name: string; type: string; col: number }>(
      'SELECT name, type, col FROM benchmark_fields ORDER BY col',
    );
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ['subject', 'string'],
      ['year', 'integer'],
      ['hard', 'boolean'],
      ['level', 'string'],
    ]);
    const types = await store.db.all<{ column_type: string }>(
      "SELECT data_type AS column_type FROM information_schema.columns WHERE table_name = 'meta_1' AND column_name = 'f0'",
    );
    expect(types[0]!.column_type).toMatch(/ENUM/);
    await store.close();
  });

  it('survives a reopen, tracks runs and resume keys', async () => {
    const path = `${tmp.dir}/b.duckdb`;
    let store = await DuckDbStore.open(path);
    const run = await store.ensureRun({
      benchmark: 'bench-b',
      model: 'x',
      label: 'L',
      source: 'runner',
      config: { t: 0 },
    });
    expect(run).toMatchObject({
      benchmark: 'bench-b',
      model: 'x',
      label: 'L',
      source: 'runner',
      config: { t: 0 },
    });
    const recs = makeRecords({ benchmark: 'bench-b', models: ['x'], run: 'L', items: 10 });
    await store.ingest(recs);
    const v = store.dataVersion;
    await store.close();
    store = await DuckDbStore.open(path);
    expect(store.dataVersion).toBe(v);
    const done = await store.doneKeys(run.id);
    expect(done.size).toBe(recs.filter((r) => r.outcome !== 'error').length);
    const errors = recs.filter((r) => r.outcome === 'error').length;
    expect(await store.deleteErrors(run.id)).toBe(errors);
    await store.updateRun(run.id, { status: 'completed', summary: { accuracy: 0.5 } });
    expect(await store.getRun(run.id)).toMatchObject({ status: 'completed', summary: { accuracy: 0.5 } });
    await store.deleteRun(run.id);
    expect(await store.getRun(run.id)).toBeNull();
    await store.close();
  });
});
