/**
 * Ingest throughput on GENERATED records (perf/generate.ts), all paths side by side in one run:
 *   (a) MysqlStore.ingest, batches of 50k (LOAD DATA LOCAL INFILE path) into a fresh MariaDB/MySQL database
 *   (b) DuckDbStore.ingest, batches of 50k, into a fresh DuckDB file
 *   (c) Mirror MySQL → DuckDB: one syncOnce() onto a fresh DuckDB file
 *   (d) importFile of a generated canonical JSONL file into a fresh DuckDB file (parse + validate + ingest)
 * Records are generated before the clocks start; generation is not measured.
 *
 *   npx tsx perf/ingest.ts [--rows 1000000] [--mysql mysql://root@127.0.0.1:3306] [--db evalhouse_bench_ingest]
 *                           [--only mysql,duckdb,mirror,import] [--keep]
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import type { CanonicalRecord } from '../core/types.ts';
import { importFile } from '../ingest/import-file.ts';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { Mirror } from '../store/mirror/mirror.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { generateBatches, plan, writeJsonl } from './generate.ts';
import { createTrace, type SqlTrace, traceDuckDb, traceMysql } from './sql-trace.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    db: { type: 'string', default: 'evalhouse_bench_ingest' },
    only: { type: 'string', default: 'mysql,duckdb,import,mirror' },
    keep: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    batch: { type: 'string', default: '250000' },
  },
});
const N = plan(Number(values.rows)).rows;
const only = new Set(values.only.split(','));
const OUT = new URL('./out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
/** Records per ingest call: the default batch of importFile. */
const BATCH = Number(values.batch);
/** Issue 2 targets, rows/s on 1M rows on this 2-core machine. */
const TARGETS: Record<string, number | null> = {
  mysql: 150_000,
  duckdb: 350_000,
  mirror: 500_000,
  import: null,
};

interface Figure {
  path: string;
  rows: number;
  seconds: number;
  note?: string;
}
const figures: Figure[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function report(f: Figure, key: string) {
  figures.push(f);
  const rate = f.rows / f.seconds;
  const t = TARGETS[key];
  const verdict = t ? `target ≥ ${fmt(t)}: ${rate >= t ? 'MET' : 'MISSED'}` : '(no target)';
  console.log(
    `${f.path.padEnd(34)} ${fmt(f.rows).padStart(10)} rows  ${f.seconds.toFixed(2).padStart(7)} s  ${fmt(rate).padStart(9)} rows/s  ${verdict}${f.note ? `  [${f.note}]` : ''}`,
  );
}

/** With --trace: time per SQL statement shape and in Catalog.resolve (JS id resolution + catalog SQL). */
function instrument(store: DuckDbStore | MysqlStore): SqlTrace | null {
  if (!values.trace) return null;
  const trace = createTrace();
  if (store instanceof DuckDbStore) traceDuckDb(store.db.conn, trace);
  else traceMysql(store.pool, trace);
  const resolve = store.catalog.resolve.bind(store.catalog);
  store.catalog.resolve = async (records) => {
    const t0 = performance.now();
    try {
      return await resolve(records);
    } finally {
      const t = trace.totals.get('[Catalog.resolve, incl. its SQL]') ?? { calls: 0, ms: 0 };
      t.calls++;
      t.ms += performance.now() - t0;
      trace.totals.set('[Catalog.resolve, incl. its SQL]', t);
    }
  };
  return trace;
}

function freshDuckPath(name: string): string {
  const p = join(OUT, name);
  for (const f of [p, `${p}.wal`]) if (existsSync(f)) rmSync(f);
  return p;
}

console.log(`generating ${fmt(N)} records (GENERATED data, not real results) ...`);
const tg = performance.now();
const batches: CanonicalRecord[][] = [...generateBatches(N, BATCH)];
console.log(`  generated in ${((performance.now() - tg) / 1000).toFixed(1)} s (not measured below)`);
let jsonl: string | null = null;
if (only.has('import')) {
  jsonl = join(OUT, `ingest-${N}.jsonl`);
  if (!existsSync(jsonl)) await writeJsonl(jsonl, N);
  console.log(`  canonical JSONL: ${jsonl} (${(statSync(jsonl).size / 1e6).toFixed(0)} MB)`);
}
console.log('');

// (a) MySQL
let mysqlStore: MysqlStore | null = null;
let mysqlDoneAt = 0;
const admin = await mysql.createConnection({ uri: values.mysql });
const dbUrl = `${values.mysql.replace(/\/$/, '')}/${values.db}`;
if (only.has('mysql') || only.has('mirror')) {
  await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
  await admin.query(`CREATE DATABASE \`${values.db}\``);
  mysqlStore = await MysqlStore.open(dbUrl, 4);
  const trace = instrument(mysqlStore);
  const t0 = performance.now();
  for (const b of batches) await mysqlStore.ingest(b);
  const s = (performance.now() - t0) / 1000;
  trace?.print('MySQL ingest', s * 1000);
  mysqlDoneAt = Date.now();
  report({ path: '(a) MySQL ingest (LOAD DATA)', rows: N, seconds: s }, 'mysql');
}

// (b) DuckDB
if (only.has('duckdb')) {
  const duck = await DuckDbStore.open(freshDuckPath('ingest-duckdb.duckdb'));
  const trace = instrument(duck);
  const t0 = performance.now();
  for (const b of batches) await duck.ingest(b);
  const s = (performance.now() - t0) / 1000;
  trace?.print('DuckDB ingest', s * 1000);
  await duck.close();
  report({ path: '(b) DuckDB ingest (appender)', rows: N, seconds: s }, 'duckdb');
}

// (d) importFile into DuckDB
if (only.has('import') && jsonl) {
  const duck = await DuckDbStore.open(freshDuckPath('ingest-import.duckdb'));
  const trace = instrument(duck);
  const t0 = performance.now();
  const summary = await importFile(duck, jsonl, { format: 'canonical' });
  const s = (performance.now() - t0) / 1000;
  trace?.print('importFile', s * 1000);
  await duck.close();
  if (!summary.committed || summary.inserted !== N)
    console.log(
      `  importFile: committed=${summary.committed} inserted=${summary.inserted} errors=${summary.errorCount}`,
    );
  report(
    {
      path: '(d) importFile JSONL → DuckDB',
      rows: summary.inserted,
      seconds: s,
      note: N > 500_000 ? 'file > 500k records: read and validated twice' : 'parsed once, kept in memory',
    },
    'import',
  );
}

// (c) mirror MySQL → DuckDB
if (only.has('mirror') && mysqlStore) {
  // The mirror only passes its watermark over rows older than 10 s (store/mirror/mirror.ts LOOKBACK_SECONDS)
  // and stops after the first page holding younger rows: wait so one syncOnce copies everything.
  const wait = mysqlDoneAt + 11_000 - Date.now();
  if (wait > 0) {
    console.log(
      `  (waiting ${(wait / 1000).toFixed(1)} s: the mirror copies rows only once they are 10 s old)`,
    );
    await new Promise((r) => setTimeout(r, wait));
  }
  const duck = await DuckDbStore.open(freshDuckPath('ingest-mirror.duckdb'));
  const mirror = new Mirror(mysqlStore.pool, duck);
  const trace = instrument(duck);
  if (trace) traceMysql(mysqlStore.pool, trace);
  const t0 = performance.now();
  const st = await mirror.syncOnce();
  const s = (performance.now() - t0) / 1000;
  trace?.print('mirror', s * 1000);
  const [{ n } = { n: 0 }] = await duck.db.all<{ n: number }>('SELECT count(*) AS n FROM results');
  await duck.close();
  report(
    {
      path: '(c) mirror MySQL → DuckDB (syncOnce)',
      rows: st.rows,
      seconds: s,
      note: `mirror holds ${fmt(n)} rows`,
    },
    'mirror',
  );
}

if (mysqlStore) await mysqlStore.close();
if (!values.keep) {
  await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
  for (const f of ['ingest-duckdb.duckdb', 'ingest-import.duckdb', 'ingest-mirror.duckdb'])
    for (const p of [join(OUT, f), join(OUT, `${f}.wal`)]) if (existsSync(p)) rmSync(p);
}
await admin.end();
console.log(`\n${JSON.stringify({ date: new Date().toISOString(), rows: N, figures })}`);
