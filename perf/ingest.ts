/**
 * Ingest throughput on GENERATED records (perf/generate.ts), all paths side by side in one run:
 *   (a) MysqlStore.ingest, batches of 50k (LOAD DATA LOCAL INFILE path) into a fresh MariaDB/MySQL database
 *   (b) DuckDbStore.ingest, batches of 50k, into a fresh DuckDB file
 *   (c) Mirror MySQL → DuckDB: one syncOnce() onto a fresh DuckDB file
 *   (d) importFile of a generated canonical JSONL file into a fresh DuckDB file (parse + validate + ingest)
 *   (e) end to end (issue 19, perf/ingest-e2e.ts): importFile of generated CSV / JSONL, plain and .gz, all items
 *       new (1 model × N items), shared (20 models × N/20 items) and fixed (N/50k models × 50k items; not by
 *       default), each in a child process (peak RSS), beside
 *       DuckDB's read_csv / read_json of the same file into a bare table (ratio, target ≤ 5×, ≥ 300k rows/s)
 * Records are generated before the clocks start; generation is not measured.
 *
 *   npx tsx perf/ingest.ts [--rows 1000000] [--mysql mysql://root@127.0.0.1:3306] [--db evalhouse_bench_ingest]
 *                           [--only mysql,duckdb,mirror,import,e2e] [--keep]
 *                           [--e2e-syntax csv,jsonl,csv.gz,jsonl.gz] [--e2e-shape new,shared,fixed]
 *                           [--e2e-paths bulk,records]
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
import { fileMB, generatedFile, importInChild, rawDuckLoad, type Shape, type Syntax } from './ingest-e2e.ts';
import { machineMeter } from './machine.ts';
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
    'e2e-syntax': { type: 'string', default: 'csv,jsonl,csv.gz,jsonl.gz' },
    'e2e-shape': { type: 'string', default: 'new,shared' },
    'e2e-paths': { type: 'string', default: 'bulk,records' },
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
const needBatches = ['mysql', 'duckdb', 'mirror'].some((p) => only.has(p));
const batches: CanonicalRecord[][] = needBatches ? [...generateBatches(N, BATCH)] : [];
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
const admin = needBatches ? await mysql.createConnection({ uri: values.mysql }) : null;
const dbUrl = `${values.mysql.replace(/\/$/, '')}/${values.db}`;
if (admin && (only.has('mysql') || only.has('mirror'))) {
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
// (e) end to end into embedded DuckDB (perf/ingest-e2e.ts), beside DuckDB's own load of the same file
if (only.has('e2e')) {
  console.log('\n(e) importFile end to end → embedded DuckDB, beside raw DuckDB load of the same file');
  console.log(
    `${'file'.padEnd(28)} ${'path'.padEnd(7)} ${'items'.padStart(9)} ${'import s'.padStart(9)} ${'rows/s'.padStart(9)} ${'raw s'.padStart(7)} ${'raw rows/s'.padStart(10)} ${'ratio'.padStart(6)} ${'peak RSS'.padStart(9)} ${'cpu s'.padStart(6)}  verdict (≥ 300k rows/s, ≤ 5×)`,
  );
  const paths = values['e2e-paths'].split(',') as ('bulk' | 'records')[];
  // each line says how busy the machine was while it was measured (perf/machine.ts)
  const meter = machineMeter();
  for (const shape of values['e2e-shape'].split(',') as Shape[]) {
    for (const syntax of values['e2e-syntax'].split(',') as Syntax[]) {
      const file = await generatedFile(OUT, N, shape, syntax);
      meter.lap(); // the file's writing is not the measurement's context
      const raw = await rawDuckLoad(file, join(OUT, 'e2e-raw.duckdb'));
      for (const want of paths) {
        const imp = importInChild(file, join(OUT, 'e2e-import.duckdb'), [], want);
        const rate = imp.inserted / imp.seconds;
        const ratio = imp.seconds / raw.seconds;
        const ok = imp.committed && imp.inserted === N && raw.rows === N;
        const machine = meter.lap();
        console.log(
          `${`${shape} ${syntax} (${fileMB(file).toFixed(0)} MB)`.padEnd(28)} ${imp.path.padEnd(7)} ${fmt(imp.items).padStart(9)} ${imp.seconds.toFixed(2).padStart(9)} ${fmt(rate).padStart(9)} ${raw.seconds.toFixed(2).padStart(7)} ${fmt(raw.rows / raw.seconds).padStart(10)} ${ratio.toFixed(1).padStart(5)}× ${`${fmt(imp.maxRssMB)} MB`.padStart(9)} ${imp.cpuSeconds.toFixed(1).padStart(6)}  ${ok ? '' : `ROWS WRONG (inserted ${imp.inserted}, raw ${raw.rows}) `}${rate >= 300_000 && ratio <= 5 ? 'MET' : 'MISSED'}${machine ? ` [${machine}]` : ''}`,
        );
        figures.push({
          path: `(e) import ${shape} ${syntax} ${imp.path}`,
          rows: imp.inserted,
          seconds: imp.seconds,
          note: `raw ${raw.seconds.toFixed(2)} s, ratio ${ratio.toFixed(2)}, peak RSS ${fmt(imp.maxRssMB)} MB, items ${imp.items}`,
        });
      }
    }
  }
}

if (admin && !values.keep) {
  await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
  for (const f of ['ingest-duckdb.duckdb', 'ingest-import.duckdb', 'ingest-mirror.duckdb'])
    for (const p of [join(OUT, f), join(OUT, `${f}.wal`)]) if (existsSync(p)) rmSync(p);
}
await admin?.end();
console.log(`\n${JSON.stringify({ date: new Date().toISOString(), rows: N, figures })}`);
