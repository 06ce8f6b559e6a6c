/**
 * Analysis speed on GENERATED records (perf/generate.ts), measured side by side in one run:
 *   (i)   a 3-level group-by (category × year × difficulty) through POST /analysis, uncached (a different
 *         subject filter every repetition), on N rows in an embedded DuckDB file
 *   (ii)  the same SQL (resolveAnalysis + compileAggregate) run directly on a separate DuckDB connection
 *   (iii) the same requests with engine "mysql" on M rows in MariaDB/MySQL (M = 1M by default: loading 10M
 *         into MariaDB and running its engine path 20 times would not fit the time budget), compared with
 *         the DuckDB API path on the same M rows (the mirror of that database), and per row with (i)
 *   (iv)  200 connections from a child process against the API on the M-row mirror: a mix of new (never
 *         sent) and repeated requests at each of --rates requests/s over all connections (the p99 target),
 *         once as Poisson arrivals (open loop over 200 keep-alive sockets) and once with autocannon's rate
 *         limiter (each second's requests at one instant: the worst case); the same mix unbounded with
 *         autocannon (the capacity), then cached repeats only. Latencies are every answer's own time.
 *
 *   npx tsx perf/analysis.ts [--rows 10000000] [--mysql-rows 1000000] [--reps 20] [--mysql-reps 5]
 *                             [--duration 10] [--connections 200] [--unique-share 0.1] [--rates 100,250,500,750,1000]
 *                             [--mysql mysql://root@127.0.0.1:3306] [--db evalhouse_bench] [--keep-mysql]
 *                             [--duckdb-threads N]   (the servers' DUCKDB_THREADS; default DuckDB's, one per core)
 *                             [--duckdb-memory-limit 2GB]   (the servers' DUCKDB_MEMORY_LIMIT; default the product's)
 *
 *   (v)   issue 19's broad query (perf/broad.ts): category × year × difficulty with 9 of the 10 years kept, through
 *         the API beside a user's own DuckDB group-by on the same records loaded from a CSV into a plain table,
 *         at each of --broad-rows (ratio of medians, target ≤ 1.2); then the uncached API time alone at each of
 *         --uncached-rows (no target: where interactivity ends on one machine). Run first; --broad-only stops
 *         after it.
 *
 *   npx tsx perf/analysis.ts --broad-only [--broad-rows 4000000,10000000] [--uncached-rows 10000000,100000000]
 *                             [--broad-reps 10] [--duckdb-memory-limit 2GB] [--duckdb-threads N]
 *
 * The N-row DuckDB file is cached as perf/out/analysis-<N>.duckdb (reruns skip loading). It is loaded with
 * DuckDbStore.ingest in batches of 50k, after the items have been registered in bulk (perf/duck-file.ts).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { compileAggregate } from '../api/analysis/compile.ts';
import { AnalysisRequest } from '../api/analysis/request.ts';
import { resolveAnalysis } from '../api/analysis/resolve.ts';
import { buildApp } from '../api/app.ts';
import { type AppContext, openContext } from '../api/context.ts';
import { loadConfig } from '../core/config.ts';
import { queryRows } from '../store/duckdb/connection.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { broadFigures, uncachedFigure } from './broad.ts';
import { ensureDuckFile } from './duck-file.ts';
import { generateBatches, plan, prng, SUBJECT_NAMES } from './generate.ts';
import { type LoadJob, type LoadResult, nearestRank, uniqueBody } from './load.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    'mysql-rows': { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '20' },
    'mysql-reps': { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '200' },
    'unique-share': { type: 'string', default: '0.1' },
    rates: { type: 'string', default: '100,250,500,750,1000' },
    mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    db: { type: 'string', default: 'evalhouse_bench' },
    'keep-mysql': { type: 'boolean', default: false },
    'duckdb-threads': { type: 'string' },
    'duckdb-memory-limit': { type: 'string' },
    'broad-rows': { type: 'string', default: '4000000,10000000' },
    'uncached-rows': { type: 'string', default: '10000000' },
    'broad-reps': { type: 'string', default: '10' },
    'broad-only': { type: 'boolean', default: false },
  },
});
const N = plan(Number(values.rows)).rows;
const M = plan(Number(values['mysql-rows'])).rows;
const REPS = Number(values.reps);
const MYSQL_REPS = Number(values['mysql-reps']);
const OUT = new URL('./out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const BENCH = 'gen-knowledge';
const LEVELS = ['category', 'year', 'difficulty'];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const t = () => performance.now();

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2,
    p95: nearestRank(s, 0.95),
    min: s[0]!,
    n: s.length,
  };
}
const show = (label: string, xs: number[]) => {
  const st = stats(xs);
  console.log(
    `  ${label.padEnd(52)} median ${st.median.toFixed(1).padStart(8)} ms   p95 ${st.p95.toFixed(1).padStart(8)} ms   (n=${st.n}, min ${st.min.toFixed(1)})`,
  );
  return st;
};

async function loadMysql(url: string, db: string, rows: number): Promise<number> {
  const admin = await mysql.createConnection({ uri: url });
  await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await admin.query(`CREATE DATABASE \`${db}\``);
  await admin.end();
  const store = await MysqlStore.open(`${url.replace(/\/$/, '')}/${db}`, 4);
  console.log(`loading ${fmt(rows)} generated rows into MariaDB/MySQL database ${db} ...`);
  const t0 = t();
  let n = 0;
  for (const batch of generateBatches(rows)) n += (await store.ingest(batch)).inserted;
  const s = (t() - t0) / 1000;
  console.log(`  ${fmt(n)} rows in ${s.toFixed(1)} s (${fmt(n / s)} rows/s incl. generation)`);
  await store.close();
  return Date.now();
}

async function listen(ctx: AppContext): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

async function post(
  url: string,
  body: unknown,
): Promise<{ ms: number; parseMs: number; json: { meta: { cached: boolean }; rows: unknown[] } }> {
  const t0 = t();
  const res = await fetch(`${url}/analysis`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  // the API's time ends with the answer's last byte; the client's JSON.parse is timed apart
  const ms = t() - t0;
  const json = JSON.parse(text) as { meta: { cached: boolean }; rows: unknown[] };
  const parseMs = t() - t0 - ms;
  if (res.status !== 200) throw new Error(`POST /analysis ${res.status}: ${text}`);
  return { ms, parseMs, json };
}

/** The i-th request of the timed series: a different subject subset each time, so never cached. */
function request(i: number, engine: 'duckdb' | 'mysql') {
  const rand = prng(500 + i);
  const subjects = SUBJECT_NAMES.filter(() => rand() < 0.7);
  return { benchmark: BENCH, levels: LEVELS, filters: { subject: subjects }, engine };
}

async function direct(
  ctx: AppContext,
  conn: Awaited<ReturnType<DuckDbStore['instance']['connect']>>,
  body: unknown,
) {
  const t0 = t();
  const q = resolveAnalysis(await ctx.analysis.catalog(), AnalysisRequest.parse(body));
  const { sql, params } = compileAggregate(q, 'duckdb', ctx.config.rowCap);
  const rows = await queryRows(conn, sql, params);
  return { ms: t() - t0, rows: rows.length };
}

function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(new URL('./load.ts', import.meta.url).pathname, [JSON.stringify(job)], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) =>
      code ? reject(new Error(`load generator exited with ${code}`)) : undefined,
    );
  });
}

// ---------------------------------------------------------------------------------------------- (v)
const tStart = t();
/** The servers' DuckDB settings from the command line (the product's defaults otherwise). */
const duckEnv: Record<string, string> = {
  ...(values['duckdb-threads'] ? { DUCKDB_THREADS: values['duckdb-threads'] } : {}),
  ...(values['duckdb-memory-limit'] ? { DUCKDB_MEMORY_LIMIT: values['duckdb-memory-limit'] } : {}),
};
const sizes = (list: string) =>
  list
    .split(',')
    .filter(Boolean)
    .map((x) => plan(Number(x)).rows);
const broad = [];
for (const rows of sizes(values['broad-rows'])) {
  console.log(
    `(v) broad query on ${fmt(rows)} rows, ${values['broad-reps']} repetitions, API and raw interleaved`,
  );
  broad.push(await broadFigures(rows, OUT, Number(values['broad-reps']), true, duckEnv));
}
const uncached = [];
for (const rows of sizes(values['uncached-rows'])) {
  console.log(`(v) uncached 3-level /analysis on ${fmt(rows)} rows (no target)`);
  uncached.push(await uncachedFigure(rows, OUT, Math.min(5, Number(values['broad-reps'])), duckEnv));
}
if (values['broad-only']) {
  console.log(`\n${JSON.stringify({ date: new Date().toISOString(), broad, uncached })}`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------- setup
const bigPath = await ensureDuckFile(N, OUT);
const mysqlDone = await loadMysql(values.mysql, values.db, M);
const mirrorPath = join(OUT, `analysis-mirror-${M}.duckdb`);
for (const f of [mirrorPath, `${mirrorPath}.wal`]) if (existsSync(f)) rmSync(f);
const baseEnv = {
  DEMO_DATA: 'off',
  LOG_LEVEL: 'silent',
  QUERY_TIMEOUT_MS: '600000',
  ...duckEnv,
};
const ctxBig = await openContext(loadConfig({ ...baseEnv, DUCKDB_PATH: bigPath }), { mirrorLoop: false });
const ctxMy = await openContext(
  loadConfig({
    ...baseEnv,
    DUCKDB_PATH: mirrorPath,
    MYSQL_URL: `${values.mysql.replace(/\/$/, '')}/${values.db}`,
  }),
  { mirrorLoop: false },
);
// the mirror copies rows only once they are 10 s old (store/mirror/mirror.ts LOOKBACK_SECONDS)
const wait = mysqlDone + 11_000 - Date.now();
if (wait > 0) await new Promise((r) => setTimeout(r, wait));
const tm = t();
await ctxMy.syncMirror();
const [{ n: mirrored } = { n: 0 }] = await ctxMy.duck.db.all<{ n: number }>(
  'SELECT count(*) AS n FROM results',
);
console.log(`mirror of the MySQL database: ${fmt(mirrored)} rows in ${((t() - tm) / 1000).toFixed(1)} s`);
const big = await listen(ctxBig);
const my = await listen(ctxMy);
const bigConn = await ctxBig.duck.connect();
const myConn = await ctxMy.duck.connect();
const [{ n: benchRowsBig } = { n: 0 }] = await queryRows<{ n: number }>(
  bigConn,
  `SELECT count(*) AS n FROM results r JOIN runs ru ON ru.id = r.run_id JOIN benchmarks b ON b.id = ru.benchmark_id WHERE b.slug = ?`,
  [BENCH],
);
console.log(
  `\nquery: POST /analysis {benchmark: "${BENCH}", levels: [${LEVELS.join(', ')}], filters: {subject: <~70 % of subjects, new each rep>}}`,
);
const [{ threads } = { threads: 0 }] = await queryRows<{ threads: number }>(
  bigConn,
  "SELECT current_setting('threads') AS threads",
);
console.log(
  `  ${BENCH} holds ${fmt(benchRowsBig)} of the ${fmt(N)} rows; DuckDB threads ${threads}, analysis connections ${ctxBig.config.duckdbReaders}; setup took ${((t() - tStart) / 1000).toFixed(0)} s\n`,
);

// ---------------------------------------------------------------------------------------------- (i) + (ii)
console.log(
  `(i)/(ii) ${fmt(N)} rows, ${REPS} repetitions, API and direct interleaved (2 warm-up reps not counted)`,
);
const apiMs: number[] = [];
const parseMs: number[] = [];
const directMs: number[] = [];
for (let i = -2; i < REPS; i++) {
  const body = request(i + 2, 'duckdb');
  const first = i % 2 === 0;
  if (!first) {
    const d = await direct(ctxBig, bigConn, body);
    if (i >= 0) directMs.push(d.ms);
  }
  const a = await post(big.url, body);
  if (a.json.meta.cached) throw new Error('expected an uncached answer');
  if (i >= 0) {
    apiMs.push(a.ms);
    parseMs.push(a.parseMs);
  }
  if (first) {
    const d = await direct(ctxBig, bigConn, body);
    if (i >= 0) directMs.push(d.ms);
  }
}
const sApi = show('(i)  API POST /analysis (to the last byte)', apiMs);
{
  const r = await fetch(`${big.url}/analysis`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request(0, 'duckdb')),
  });
  const text = await r.text();
  console.log(
    `       (answer: ${fmt((JSON.parse(text) as { rows: unknown[] }).rows.length)} rows, ${fmt(text.length)} bytes of JSON)`,
  );
}
const sDirect = show('(ii) same SQL directly on DuckDB', directMs);
const sParse = show('     client JSON.parse of that answer (not counted)', parseMs);
const ratioApi = sApi.median / sDirect.median;
console.log(
  `  ratio API / direct (medians): ${ratioApi.toFixed(2)}   target ≤ 1.2: ${ratioApi <= 1.2 ? 'MET' : 'MISSED'}` +
    `   (with the client's parse: ${((sApi.median + sParse.median) / sDirect.median).toFixed(2)})\n`,
);

// ---------------------------------------------------------------------------------------------- (iii)
console.log(`(iii) ${fmt(M)} rows (MySQL database and its DuckDB mirror), ${MYSQL_REPS} repetitions`);
const myApiMs: number[] = [];
const mysqlMs: number[] = [];
for (let i = -1; i < MYSQL_REPS; i++) {
  const k = 1000 + i;
  const a = await post(my.url, request(k, 'duckdb'));
  const m = await post(my.url, request(k, 'mysql'));
  if (m.json.rows.length !== a.json.rows.length) throw new Error('engines disagree on the row count');
  if (i >= 0) {
    myApiMs.push(a.ms);
    mysqlMs.push(m.ms);
  }
}
const sMyApi = show(`API, engine duckdb (mirror, ${fmt(M)} rows)`, myApiMs);
const sMysql = show(`API, engine mysql (${fmt(M)} rows)`, mysqlMs);
const ratioSame = sMysql.median / sMyApi.median;
const ratioPerRow = sMysql.median / M / (sApi.median / N);
console.log(
  `  ratio MySQL / API on the same ${fmt(M)} rows (medians): ${ratioSame.toFixed(1)}   target ≥ 20: ${ratioSame >= 20 ? 'MET' : 'MISSED'}`,
);
console.log(
  `  ratio per row, MySQL at ${fmt(M)} vs API at ${fmt(N)}: ${ratioPerRow.toFixed(1)} (${((sMysql.median / M) * 1e6).toFixed(0)} vs ${((sApi.median / N) * 1e6).toFixed(1)} ms per 1M rows)\n`,
);

// ---------------------------------------------------------------------------------------------- (iv)
const connections = Number(values.connections);
const durationS = Number(values.duration);
// repeated bodies: small dashboard-style answers (1 level, 80–200 rows); new bodies: 2 levels with a
// different subject filter each (about 400 rows, uncached)
const pool = Array.from({ length: 20 }, (_, i) => ({
  benchmark: ['gen-knowledge', 'gen-knowledge-pro', 'gen-math', 'gen-reasoning'][i % 4],
  levels: [['category'], ['difficulty'], ['year']][i % 3],
  ...(i >= 12 ? { filters: { year: [2015 + (i % 10)] } } : {}),
}));
let poolBytes = 0;
for (const b of pool) {
  const res = await fetch(`${my.url}/analysis`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(b),
  });
  poolBytes += (await res.arrayBuffer()).byteLength;
}
const uniqueSample = await fetch(`${my.url}/analysis`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(
    uniqueBody(
      { base: { benchmark: BENCH, levels: ['category', 'difficulty'] }, subjects: SUBJECT_NAMES },
      1e9,
    ),
  ),
});
const uniqueBytes = (await uniqueSample.arrayBuffer()).byteLength;
const base = { benchmark: BENCH, levels: ['category', 'difficulty'] };
console.log(
  `(iv) load on ${fmt(M)} rows: ${connections} connections, ${durationS} s each, load generator in a child process`,
);
console.log(
  `  repeated bodies: 20 one-level queries (answers ${fmt(poolBytes / pool.length)} bytes on average, answered once before); new bodies: [category, difficulty] with a new subject filter (${fmt(uniqueBytes)} bytes)`,
);
const loadJob = {
  url: my.url,
  connections,
  durationS,
  uniqueShare: Number(values['unique-share']),
  pool,
  base,
  subjects: SUBJECT_NAMES,
};
const rates = values.rates.split(',').map(Number);
const bounded: (LoadResult & { rate: number; arrivals: LoadJob['arrivals']; misses: number })[] = [];
// every phase starts its new bodies past all bodies sent before (1e6 apart), so they are never cache hits
let phase = 0;
const fresh = () => ++phase * 1_000_000;
/** The load's result with the server's cache misses during it (queries run; checks that new bodies were new). */
const measured = async (job: LoadJob) => {
  const before = ctxMy.analysis.cache.misses;
  const r = await runLoad(job);
  return { ...r, misses: ctxMy.analysis.cache.misses - before };
};
for (const rate of rates) {
  // each rate twice: Poisson arrivals (independent users), then every connection's quota of a second
  // released at the same instant (autocannon's rate limiter: the worst case)
  for (const arrivals of ['poisson', 'together'] as const) {
    const r = await measured({ ...loadJob, mode: 'mix', rate, arrivals, uniqueFrom: fresh() });
    bounded.push({ ...r, rate, arrivals });
  }
}
const flood = await measured({ ...loadJob, mode: 'mix', rate: 0, arrivals: 'together', uniqueFrom: fresh() });
const hitsBefore = ctxMy.analysis.cache.hits;
const cached = await runLoad({
  ...loadJob,
  mode: 'cached',
  uniqueShare: 0,
  rate: 0,
  arrivals: 'together',
  uniqueFrom: 0,
});
const pct = (p: { p50: number; p99: number; max: number }) => `p50 ${p.p50}  p99 ${p.p99}  max ${p.max} ms`;
const printLoad = (title: string, r: LoadResult) => {
  console.log(
    `  ${title.padEnd(58)} ${fmt(r.requests).padStart(7)} req ${fmt(r.rps).padStart(6)} req/s  errors ${r.errors} timeouts ${r.timeouts} non-2xx ${r.non2xx}  p50 ${r.latency.p50} ms  p90 ${r.latency.p90} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms`,
  );
  if (r.byKind.new.n > 0)
    console.log(`  ${''.padEnd(58)} new bodies: ${pct(r.byKind.new)}; repeated: ${pct(r.byKind.repeat)}`);
};
const share = Math.round(Number(values['unique-share']) * 100);
const arrival = (a: LoadJob['arrivals']) => (a === 'poisson' ? 'Poisson arrivals' : 'each second at once');
for (const r of bounded) {
  printLoad(
    `mix ≤ ${fmt(r.rate)} req/s, ${arrival(r.arrivals)} (${share} % new: ${fmt(r.uniqueSent)} sent, ${fmt(r.misses)} misses)`,
    r,
  );
}
printLoad(
  `mix unbounded (${share} % new: ${fmt(flood.uniqueSent)} sent, ${fmt(flood.misses)} misses)`,
  flood,
);
printLoad('cached repeats only, unbounded', cached);
console.log(`  cache hits during the cached phase: ${fmt(ctxMy.analysis.cache.hits - hitsBefore)}`);
console.log(
  "  (latencies: every 2xx answer's own time, nearest rank; autocannon's rate mode would add synthetic samples)",
);
const all = [...bounded, flood, cached];
const noErrors = all.every((r) => r.errors === 0 && r.timeouts === 0 && r.non2xx === 0);
const uncachedPerS = (r: { misses: number }) => r.misses / durationS;
console.log(`  0 errors in every phase: ${noErrors ? 'MET' : 'MISSED'}`);
const capacity = uncachedPerS(flood);
for (const r of bounded) {
  const offered = uncachedPerS(r);
  const note =
    r.arrivals === 'together'
      ? ' (worst case: a second of requests at one instant)'
      : offered > capacity
        ? ' (new analyses offered above the capacity)'
        : '';
  console.log(
    `  p99 ≤ 250 ms at ${fmt(r.rate)} req/s, ${arrival(r.arrivals)} (${fmt(offered)} new analyses/s): ${r.latency.p99} ms ${r.latency.p99 <= 250 ? 'MET' : 'MISSED'}${note}`,
  );
}
const poissonMet = bounded.filter((r) => r.arrivals === 'poisson' && r.latency.p99 <= 250).map((r) => r.rate);
console.log(
  `  p99 ≤ 250 ms with Poisson arrivals and ${share} % new bodies holds at: ${poissonMet.length ? poissonMet.map(fmt).join(', ') : 'no rate'} req/s`,
);
console.log(`  cached repeats ${fmt(cached.rps)} req/s ≥ 5,000: ${cached.rps >= 5000 ? 'MET' : 'MISSED'}`);
console.log(
  `  unbounded: ${fmt(capacity)} new analyses/s is the capacity; every connection sends its next request as soon as\n` +
    `  its answer arrives, so new bodies queue until latency = ${connections} connections / throughput (Little's law),\n` +
    "  whatever the server's speed.",
);

// ---------------------------------------------------------------------------------------------- teardown
bigConn.closeSync();
myConn.closeSync();
await big.close();
await my.close();
await ctxBig.close();
await ctxMy.close();
for (const f of [mirrorPath, `${mirrorPath}.wal`]) if (existsSync(f)) rmSync(f);
if (!values['keep-mysql']) {
  const admin = await mysql.createConnection({ uri: values.mysql });
  await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
  await admin.end();
}
console.log(
  `\n${JSON.stringify({ date: new Date().toISOString(), broad, uncached, rows: N, mysqlRows: M, api: sApi, direct: sDirect, ratioApi, myApi: sMyApi, mysql: sMysql, ratioSame, ratioPerRow, bounded, flood, cached, totalS: (t() - tStart) / 1000 })}`,
);
process.exit(0); // nothing left to wait for (pools and DuckDB handles are closed; do not hang on stray timers)
