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

  it('stores every nullable column as given: NULL stays NULL, and "", 0 and false stay values', async () => {
    const store = await DuckDbStore.open(`${tmp.dir}/nulls.duckdb`);
    const base = makeRecords({ benchmark: 'bench-n', models: ['m'], items: 4 })[0]!;
    const cols = [
      'correct',
      'score',
      'answer',
      'latency_ms',
      'ttft_ms',
      'tokens_in',
      'tokens_out',
      'cost_usd',
    ];
    const variants = [
      {
        correct: null,
        score: null,
        answer: null,
        latency_ms: null,
        ttft_ms: null,
        tokens_in: null,
        tokens_out: null,
        cost_usd: null,
        response: null,
        error: null,
      },
      {
        correct: false,
        score: 0,
        answer: '',
        latency_ms: 0,
        ttft_ms: 0,
        tokens_in: 0,
        tokens_out: 0,
        cost_usd: 0,
        response: '',
        error: '',
      },
      {
        correct: true,
        score: 0.25,
        answer: 'B',
        latency_ms: 12.5,
        ttft_ms: 3,
        tokens_in: 7,
        tokens_out: 9,
        cost_usd: 0.001,
        response: 'x',
        error: null,
      },
    ];
    // a row with NULLs between rows with values, in one batch (one data chunk)
    const recs = [1, 0, 2, 0, 1].map((v, i) => ({
      ...base,
      item_id: `n${i}`,
      outcome:
        variants[v]!.correct === null
          ? ('unscored' as const)
          : variants[v]!.correct
            ? ('correct' as const)
            : ('incorrect' as const),
      ...variants[v]!,
    }));
    await store.ingest(recs);
    const rows = await store.db.all<Record<string, unknown>>(
      `SELECT i.item_key, ${cols.map((c) => `r.${c}`).join(', ')}, r.response, r.error
       FROM results r JOIN items i ON i.id = r.item_id ORDER BY i.item_key`,
    );
    expect(rows).toHaveLength(recs.length);
    for (const [i, r] of rows.entries()) {
      const want = recs[i]!;
      for (const c of [...cols, 'response', 'error']) {
        const got = r[c];
        const w = (want as Record<string, unknown>)[c];
        if (w === null) expect(got, `${want.item_id}.${c}`).toBeNull();
        else if (typeof w === 'boolean') expect(got === true || got === 1, `${want.item_id}.${c}`).toBe(w);
        else if (typeof w === 'number') expect(Number(got), `${want.item_id}.${c}`).toBe(w);
        else expect(got, `${want.item_id}.${c}`).toBe(w);
      }
    }
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
