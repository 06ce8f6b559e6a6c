import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordStore } from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { makeRecords } from './records.ts';

// Names written to break SQL built from text: the record store's Kysely queries (store/catalog.ts,
// store/runs.ts, the MySQL store) must bind them as values on both engines.
const BENCH = "b'; DROP TABLE runs; --";
const MODEL = 'm"`x\\';
const LABEL = "r' OR '1'='1";
const FIELD = 'f"; DROP TABLE items; --';

function hostile(items: number, from = 0): CanonicalRecord[] {
  return makeRecords({ benchmark: BENCH, models: [MODEL], run: LABEL, items: items + from, samples: 2 })
    .slice(from * 2)
    .map((r) => ({ ...r, item_id: `${r.item_id}'`, metadata: { ...r.metadata, [FIELD]: `v'${r.item_id}` } }));
}

/** What the store should report, computed from the records themselves. */
const doneOf = (recs: CanonicalRecord[]) =>
  new Set(recs.filter((r) => r.outcome !== 'error').map((r) => `${r.item_id}#${r.sample}`));

const engines: [string, () => Promise<{ store: RecordStore; sql: SqlOf; close(): Promise<void> }>][] = [
  [
    'duckdb',
    async () => {
      const tmp = tmpDir('evalhouse-queries-');
      const store = await DuckDbStore.open(`${tmp.dir}/q.duckdb`);
      return {
        store,
        sql: (q) => store.db.all(q),
        close: async () => {
          await store.close();
          tmp.cleanup();
        },
      };
    },
  ],
  [
    'mysql',
    async () => {
      const db = await createTestDatabase('queries');
      const store = await MysqlStore.open(db.url, 2);
      return {
        store,
        sql: (q) => store.db.all(q),
        close: async () => {
          await store.close();
          await db.drop();
        },
      };
    },
  ],
];
type SqlOf = (sql: string) => Promise<Record<string, unknown>[]>;

describe.each(engines)('the record store queries on %s', (_name, open) => {
  let store: RecordStore;
  let sql: SqlOf;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, sql, close } = await open());
  });
  afterAll(async () => close?.());

  it('keeps names that look like SQL as names, through every run query', async () => {
    const recs = hostile(12);
    expect(await store.ingest(recs)).toEqual({ inserted: recs.length, duplicates: 0 });
    const runs = await store.listRuns();
    expect(runs.map((r) => [r.benchmark, r.model, r.label])).toEqual([[BENCH, MODEL, LABEL]]);
    const run = runs[0]!;
    expect(await store.findRun(BENCH, MODEL, LABEL)).toEqual(run);
    expect(await store.findRun(BENCH, MODEL, `${LABEL} `)).toBeNull(); // exact, not padded
    expect(await store.getRun(run.id)).toEqual(run);
    expect(await store.getRun(run.id + 1000)).toBeNull();

    const again = await store.ensureRun({ benchmark: BENCH, model: MODEL, label: LABEL, source: 'x' });
    expect(again.id).toBe(run.id);
    const other = await store.ensureRun({
      benchmark: BENCH,
      model: `${MODEL}2`,
      label: LABEL,
      source: "s'",
      config: { q: "'" },
      status: 'running',
    });
    expect([other.model, other.source, other.config, other.status]).toEqual([
      `${MODEL}2`,
      "s'",
      { q: "'" },
      'running',
    ]);

    await store.updateRun(run.id, { status: 'failed', statusReason: "it's broken", summary: { n: "'" } });
    const updated = (await store.getRun(run.id))!;
    expect([updated.status, updated.statusReason, updated.summary]).toEqual([
      'failed',
      "it's broken",
      { n: "'" },
    ]);
    expect((await store.getRun(other.id))!.status).toBe('running'); // only the one run changed

    // the metadata field's name is stored as given, its values in its positional column
    const [field] = await sql(`SELECT name, col FROM benchmark_fields WHERE name LIKE 'f"%'`);
    expect(field?.name).toBe(FIELD);
    const values = await sql(`SELECT item_key AS k, m${Number(field!.col)} AS v FROM items`);
    expect(Object.fromEntries(values.map((v) => [v.k, v.v]))).toEqual(
      Object.fromEntries(recs.map((r) => [r.item_id, r.metadata[FIELD]])),
    );
  });

  it('answers resume keys, error deletion, the watermark and removal from the stored rows', async () => {
    const run = (await store.findRun(BENCH, MODEL, LABEL))!;
    const recs = hostile(12);
    expect(await store.doneKeys(run.id)).toEqual(doneOf(recs));
    const errors = recs.filter((r) => r.outcome === 'error').length;
    expect(errors).toBeGreaterThan(0);
    expect(await store.deleteErrors(run.id)).toBe(errors);
    expect(await store.doneKeys(run.id)).toEqual(doneOf(recs));
    expect(await store.deleteErrors(run.id)).toBe(0);

    const [max] = await sql('SELECT max(id) AS id FROM results');
    const mark = await store.resultWatermark();
    expect(mark).toBe(Number(max!.id));
    // an abandoned import's rows: written above the watermark, removed by it
    const more = hostile(5, 12);
    expect((await store.ingest(more)).inserted).toBe(more.length);
    expect(await store.deleteResultsAfter(run.id, mark)).toBe(more.length);
    expect(await store.doneKeys(run.id)).toEqual(doneOf(recs));

    await store.deleteRun(run.id);
    expect((await store.listRuns()).map((r) => r.model)).toEqual([`${MODEL}2`]);
    const [left] = await sql('SELECT count(*) AS n FROM results');
    expect(Number(left!.n)).toBe(0);
    if (store.kind === 'mysql') {
      // the mirror learns of both removals from the change log
      const changes = await sql(`SELECT run_id FROM changes WHERE kind = 'run' ORDER BY seq`);
      expect(changes.map((c) => Number(c.run_id))).toEqual([run.id, run.id, run.id]);
    }
  });
});
