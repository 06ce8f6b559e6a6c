/**
 * The MySQL store end to end, on GENERATED canonical CSV (perf/generate.ts), beside its raw baselines in one run:
 *   raw   LOAD DATA LOCAL INFILE of the same CSV into a bare table (no keys): what the server itself costs
 *   (a)   importFile into a fresh MysqlStore, every item new (one model over N items)
 *   (b)   importFile into a fresh MysqlStore, N rows over N/20 items (20 models each); again: the same file re-imported
 *   (c)   the same, N rows over 50k items (N/50k models; only with --only c)
 *   mirror  the (b) store mirrored from empty into a fresh DuckDB file (one syncOnce)
 *   live    the mirror kept current (a sync a second) while (a)'s file is imported into the (b) store
 *   http    (b)'s file sent to POST /imports of a server in MySQL mode (upload, import, mirror sync)
 * Each import runs in its own child process, so its peak RSS is that import's alone.
 *
 *   npx tsx perf/mysql-import.ts [--rows 1000000] [--mysql mysql://root@127.0.0.1:3306] [--only a,b,c,again,mirror,live,http]
 *                                [--paths bulk,records] [--keep]
 *     [--prefix evalhouse_perf] (the databases' names: <prefix>_raw, <prefix>_new, <prefix>_over)
 * (again, mirror and live need b). --paths: the import paths (a) and (b) take, each into a fresh database
 * (bulk: DuckDB stages the file, MySQL LOAD DATAs it, ingest/import-bulk.ts; records: IMPORT_BULK=off);
 * again, mirror and live use the first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import type { CanonicalRecord } from '../core/types.ts';
import { importFile } from '../ingest/import-file.ts';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { Mirror } from '../store/mirror/mirror.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { fixedItemBatches, generateBatches, MODEL_NAMES, plan } from './generate.ts';
import { machineMeter } from './machine.ts';
import { createTrace, traceMysql } from './sql-trace.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    keep: { type: 'boolean', default: false },
    prefix: { type: 'string', default: 'evalhouse_perf' },
    only: { type: 'string', default: 'a,b,again,mirror,live' },
    // internal: run one import in this (child) process and print its summary as JSON
    child: { type: 'string' },
    db: { type: 'string' },
    trace: { type: 'boolean', default: false },
    paths: { type: 'string', default: 'bulk,records' },
    // internal: the child's import path
    bulk: { type: 'string', default: 'on' },
  },
});
const PATHS = values.paths.split(',') as ('bulk' | 'records')[];
const SERVER = values.mysql.replace(/\/$/, '');

if (values.child) {
  const store = await MysqlStore.open(`${SERVER}/${values.db}`, 4);
  // with --trace: wall time per statement the store sends through its pool (LOAD DATA, the checks)
  const trace = values.trace ? createTrace() : null;
  if (trace) traceMysql(store.pool, trace);
  const t0 = performance.now();
  const s = await importFile(store, values.child, { format: 'canonical', bulk: values.bulk === 'on' });
  const seconds = (performance.now() - t0) / 1000;
  trace?.print('importFile → MySQL', seconds * 1000);
  await store.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      seconds,
      rssMb,
      inserted: s.inserted,
      committed: s.committed,
      errors: s.errors,
      path: s.path,
    }),
  );
  process.exit(0);
}

const N = plan(Number(values.rows)).rows;
const OUT = new URL('./out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const DBS = ['raw', 'new', 'over'].map((d) => `${values.prefix}_${d}`);

const META = ['subject', 'category', 'year', 'difficulty'] as const;
const HEADER = [
  'benchmark',
  'model',
  'item_id',
  'outcome',
  'correct',
  'score',
  'response',
  'answer',
  'reference',
  'latency_ms',
  'tokens_in',
  'tokens_out',
  'cost_usd',
  'error',
  ...META.map((m) => `meta.${m}`),
];
const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
function csvLine(r: CanonicalRecord): string {
  const outcome = r.outcome === 'unscored' || r.outcome === 'error' ? r.outcome : undefined;
  return [
    r.benchmark,
    r.model,
    r.item_id,
    outcome,
    r.correct,
    r.score,
    r.response,
    r.answer,
    r.reference,
    r.latency_ms,
    r.tokens_in,
    r.tokens_out,
    r.cost_usd,
    r.error,
    ...META.map((m) => r.metadata[m]),
  ]
    .map(cell)
    .join(',');
}

/**
 * Canonical CSV of generated records. `new`: each (model, item) its own item under one model; `over`:
 * N/20 items × 20 models; `fixed`: SHARED_ITEMS items × N/SHARED_ITEMS models (generate.ts fixedItemBatches).
 */
async function writeCsv(path: string, shape: 'new' | 'over' | 'fixed'): Promise<void> {
  if (existsSync(path)) return;
  const out = createWriteStream(`${path}.tmp`);
  const modelIndex = new Map(MODEL_NAMES.map((m, i) => [m, i]));
  out.write(`${HEADER.join(',')}\n`);
  const batches = shape === 'fixed' ? fixedItemBatches(N, SHARED_ITEMS) : generateBatches(N, 50_000);
  for (const batch of batches) {
    const text = batch
      .map((r) =>
        csvLine(
          shape === 'new'
            ? { ...r, model: MODEL_NAMES[0]!, item_id: `${r.item_id}.${modelIndex.get(r.model)}` }
            : r,
        ),
      )
      .join('\n');
    if (!out.write(`${text}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  execFileSync('mv', [`${path}.tmp`, path]);
}

const admin = await mysql.createConnection({ uri: SERVER, flags: ['+LOCAL_FILES'] });
async function freshDb(name: string) {
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\``);
}

/** The raw baseline: LOAD DATA of the CSV into a table with the file's columns and no keys. */
async function rawLoad(file: string): Promise<number> {
  await freshDb(DBS[0]!);
  const conn = await mysql.createConnection({ uri: `${SERVER}/${DBS[0]}` });
  await conn.query(`CREATE TABLE bare (
    benchmark VARCHAR(191), model VARCHAR(191), item_id VARCHAR(191), outcome VARCHAR(16), correct VARCHAR(5),
    score DOUBLE, response MEDIUMTEXT, answer VARCHAR(191), reference TEXT, latency_ms DOUBLE, tokens_in INT,
    tokens_out INT, cost_usd DOUBLE, error TEXT, m_subject VARCHAR(191), m_category VARCHAR(191), m_year INT,
    m_difficulty INT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  const t0 = performance.now();
  await conn.query({
    sql: `LOAD DATA LOCAL INFILE ? INTO TABLE bare CHARACTER SET utf8mb4
          FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\\n' IGNORE 1 LINES
          (benchmark, model, item_id, @outcome, correct, @score, response, answer, reference, @latency, @tin,
           @tout, @cost, error, m_subject, m_category, m_year, m_difficulty)
          SET outcome = NULLIF(@outcome, ''), score = NULLIF(@score, ''), latency_ms = NULLIF(@latency, ''),
              tokens_in = NULLIF(@tin, ''), tokens_out = NULLIF(@tout, ''), cost_usd = NULLIF(@cost, '')`,
    values: [file],
    infileStreamFactory: (path: string) => createReadStream(path),
  } as mysql.QueryOptions);
  const s = (performance.now() - t0) / 1000;
  await conn.end();
  return s;
}

interface ChildResult {
  seconds: number;
  rssMb: number;
  inserted: number;
  committed: boolean;
  errors: unknown[];
  path: string;
}
/** importFile in a child process (its own peak RSS); resolves with its summary. */
function importInChild(file: string, db: string, path: 'bulk' | 'records' = PATHS[0]!): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', new URL(import.meta.url).pathname, '--child', file, '--db', db],
        ...['--mysql', SERVER, '--bulk', path === 'bulk' ? 'on' : 'off'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`import child exited ${code}: ${out}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

/** A figure, with the machine's steal and busy shares since the last figure (perf/machine.ts). */
function line(label: string, rows: number, seconds: number, extra = '') {
  const machine = meter.lap();
  console.log(
    `${label.padEnd(44)} ${fmt(rows).padStart(10)} rows ${seconds.toFixed(2).padStart(7)} s ${fmt(rows / seconds).padStart(9)} rows/s  ${extra}${machine ? ` [${machine}]` : ''}`,
  );
}

/** The items of the (c) file, whatever its rows. */
const SHARED_ITEMS = 50_000;
const fileNew = join(OUT, `mysql-import-new-${N}.csv`);
const fileOver = join(OUT, `mysql-import-over-${N}.csv`);
console.log(`writing ${fmt(N)}-row canonical CSVs (GENERATED data, not measured) ...`);
await writeCsv(fileNew, 'new');
await writeCsv(fileOver, 'over');
console.log(
  `  ${fileNew} (${(statSync(fileNew).size / 1e6).toFixed(0)} MB), ${fileOver} (${(statSync(fileOver).size / 1e6).toFixed(0)} MB)\n`,
);

// from here on each figure says how busy the machine was while it was measured
const meter = machineMeter();
const only = new Set(values.only.split(','));
const duckPath = join(OUT, 'mysql-import-mirror.duckdb');
const figures: Record<string, number> = {};
if (only.has('a')) {
  const rawNew = await rawLoad(fileNew);
  line('raw LOAD DATA, bare table (all-new file)', N, rawNew);
  for (const path of PATHS) {
    await freshDb(DBS[1]!);
    const a = await importInChild(fileNew, DBS[1]!, path);
    line(
      `(a) importFile, every item new [${a.path}]`,
      a.inserted,
      a.seconds,
      `${(a.seconds / rawNew).toFixed(2)}× raw (target ≤ 1.5×, ≥ 200,000 rows/s); peak RSS ${fmt(a.rssMb)} MB`,
    );
    if (!a.committed || a.inserted !== N || a.path !== path) console.log('  NOT AS ASKED', a);
    Object.assign(figures, { rawNew, [`a-${path}`]: a.seconds, [`aRss-${path}`]: a.rssMb });
  }
}
if (only.has('b')) {
  const rawOver = await rawLoad(fileOver);
  line(`raw LOAD DATA, bare table (${fmt(N / 20)}-item file)`, N, rawOver);
  // the first path last, so that its database stays for again, mirror and live
  for (const path of [...PATHS].reverse()) {
    await freshDb(DBS[2]!);
    const b = await importInChild(fileOver, DBS[2]!, path);
    line(
      `(b) importFile, ${fmt(N / 20)} items × 20 models [${b.path}]`,
      b.inserted,
      b.seconds,
      `${(b.seconds / rawOver).toFixed(2)}× raw (target ≤ 1.5×, ≥ 200,000 rows/s); peak RSS ${fmt(b.rssMb)} MB`,
    );
    if (!b.committed || b.inserted !== N || b.path !== path) console.log('  NOT AS ASKED', b);
    Object.assign(figures, { rawOver, [`b-${path}`]: b.seconds, [`bRss-${path}`]: b.rssMb });
  }
  if (only.has('again')) {
    // idempotence: every row of the file is stored already
    const again = await importInChild(fileOver, DBS[2]!);
    line(
      '(b) again: re-import, every row a duplicate',
      N,
      again.seconds,
      `${again.inserted} inserted; ${(again.seconds / rawOver).toFixed(2)}× raw`,
    );
    figures.again = again.seconds;
  }
}

// (c) N rows over SHARED_ITEMS items (N/SHARED_ITEMS models): with N = 4M, 80 models over 50k items
if (only.has('c')) {
  const fileFixed = join(OUT, `mysql-import-fixed-${N}.csv`);
  await writeCsv(fileFixed, 'fixed');
  const rawFixed = await rawLoad(fileFixed);
  line(`raw LOAD DATA, bare table (${fmt(SHARED_ITEMS)}-item file)`, N, rawFixed);
  for (const path of PATHS) {
    await freshDb(DBS[1]!);
    const c = await importInChild(fileFixed, DBS[1]!, path);
    line(
      `(c) importFile, ${fmt(SHARED_ITEMS)} items × ${fmt(N / SHARED_ITEMS)} models [${c.path}]`,
      c.inserted,
      c.seconds,
      `${(c.seconds / rawFixed).toFixed(2)}× raw (target ≤ 1.5×, ≥ 200,000 rows/s); peak RSS ${fmt(c.rssMb)} MB`,
    );
    if (!c.committed || c.inserted !== N || c.path !== path) console.log('  NOT AS ASKED', c);
    Object.assign(figures, { rawFixed, [`c-${path}`]: c.seconds, [`cRss-${path}`]: c.rssMb });
  }
}

// mirror of the (b) store from empty
if (only.has('b') && (only.has('mirror') || only.has('live'))) {
  const store = await MysqlStore.open(`${SERVER}/${DBS[2]}`, 4);
  for (const f of [duckPath, `${duckPath}.wal`]) rmSync(f, { force: true });
  const duck = await DuckDbStore.open(duckPath);
  const mirror = new Mirror(store.pool, duck, { reconcileIntervalMs: 3_600_000 });
  const t0 = performance.now();
  const st = await mirror.syncOnce();
  const mirrorS = (performance.now() - t0) / 1000;
  line('mirror from empty (one syncOnce)', st.rows, mirrorS, 'target ≥ 500,000 rows/s (10M rows)');
  figures.mirror = mirrorS;
  if (only.has('live')) await live(store, mirror, duck);
  mirror.dispose();
  await duck.close();
  await store.close();
}

/** The mirror kept current (a sync a second) while the all-new file is imported into the same store. */
async function live(store: MysqlStore, mirror: Mirror, duck: DuckDbStore) {
  let importing = true;
  let maxLag = 0;
  let syncs = 0;
  const imp = importInChild(fileNew, DBS[2]!).finally(() => {
    importing = false;
  });
  while (importing) {
    await mirror.syncOnce();
    syncs++;
    maxLag = Math.max(maxLag, (await mirror.currentLag()).rows);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const done = performance.now();
  const imported = await imp;
  const caught = await mirror.syncOnce();
  const catchUp = (performance.now() - done) / 1000;
  const [[my]] = (await store.pool.query('SELECT COUNT(*) AS n FROM results')) as unknown as [
    [{ n: number }],
  ];
  const [dk] = await duck.db.all<{ n: number }>('SELECT count(*) AS n FROM results');
  line(
    'live: import while the mirror syncs each 1 s',
    imported.inserted,
    imported.seconds,
    `${syncs} syncs, max lag ${fmt(maxLag)} rows`,
  );
  console.log(
    `  after the import: one sync of ${fmt(caught.rows)} rows in ${catchUp.toFixed(2)} s; MySQL ${fmt(Number(my!.n))} rows, mirror ${fmt(Number(dk!.n))} rows${Number(my!.n) === Number(dk!.n) ? '' : '  MISMATCH'}`,
  );
  Object.assign(figures, { live: imported.seconds, liveSyncs: syncs, liveMaxLag: maxLag, catchUp });
}

// (b)'s file sent to POST /imports of a server in MySQL mode, as a new user would: upload, import, and the
// server's mirror sync that makes it visible (the response comes after all three)
if (only.has('http')) {
  await freshDb(DBS[2]!);
  const dir = mkdtempSync(join(tmpdir(), 'evalhouse-mysql-import-http-'));
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const server = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      MYSQL_URL: `${SERVER}/${DBS[2]}`,
      DUCKDB_PATH: join(dir, 'mirror.duckdb'),
      PORT: String(port),
      HOST: '127.0.0.1',
      DEMO_DATA: 'off',
      LOG_LEVEL: 'warn',
      IMPORT_BULK: PATHS[0] === 'bulk' ? 'on' : 'off',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
      if (
        await fetch(`${url}/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const t0 = performance.now();
    const res = await fetch(`${url}/imports?filename=${encodeURIComponent(fileOver.split('/').pop()!)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(fileOver)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const body = (await res.json()) as { inserted?: number; path?: string; elapsedMs?: number };
    const seconds = (performance.now() - t0) / 1000;
    line(
      `POST /imports, MySQL mode [${body.path}]`,
      body.inserted ?? 0,
      seconds,
      `HTTP ${res.status}; the import itself ${((body.elapsedMs ?? 0) / 1000).toFixed(2)} s; upload and mirror sync the rest`,
    );
    figures.http = seconds;
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!values.keep) {
  for (const d of DBS) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
  for (const f of [duckPath, `${duckPath}.wal`]) rmSync(f, { force: true });
}
await admin.end();
console.log(`\n${JSON.stringify({ date: new Date().toISOString(), rows: N, figures })}`);
