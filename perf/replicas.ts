/**
 * Issue 20's load drill: two API replicas (each its own process and DuckDB mirror) on one MySQL database
 * of N generated rows, 200 connections for 60 s split over them, a mix of new (uncached) and repeated
 * POST /analysis bodies (perf/load.ts, each generator in its own process). Prints per replica and in all:
 * requests, errors, non-2xx, p50/p99, requests/s, and each server's RSS before and after.
 *
 *   npx tsx perf/replicas.ts [--rows 1000000] [--connections 200] [--duration 60] [--unique-share 0.1]
 *                            [--mysql mysql://root@127.0.0.1:3306] [--db evalhouse_bench_replicas]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { generateBatches, plan, SUBJECT_NAMES } from './generate.ts';
import type { LoadJob, LoadResult } from './load.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    connections: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60' },
    'unique-share': { type: 'string', default: '0.1' },
    mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    db: { type: 'string', default: 'evalhouse_bench_replicas' },
  },
});
const N = plan(Number(values.rows)).rows;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const dbUrl = `${values.mysql.replace(/\/$/, '')}/${values.db}`;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
const rssMB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

// ------------------------------------------------------------------------------------------ the data
const admin = await mysql.createConnection({ uri: values.mysql });
await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
await admin.query(`CREATE DATABASE \`${values.db}\``);
const store = await MysqlStore.open(dbUrl, 4);
console.log(`loading ${fmt(N)} generated rows (GENERATED data, not real results) into ${values.db} ...`);
let loaded = 0;
for (const batch of generateBatches(N)) loaded += (await store.ingest(batch)).inserted;
await store.close();

// ------------------------------------------------------------------------------------------ two replicas
const dir = mkdtempSync(join(tmpdir(), 'evalhouse-replicas-'));
interface Replica {
  name: string;
  url: string;
  child: ChildProcess;
}
async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  // node --import tsx: the server is this child itself, so its RSS is the child's
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MYSQL_URL: dbUrl,
      DUCKDB_PATH: join(dir, `${name}.duckdb`),
      PORT: String(port),
      HOST: '127.0.0.1',
      DEMO_DATA: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { name, url: `http://127.0.0.1:${port}`, child };
}
const replicas = [await startReplica('api-1'), await startReplica('api-2')];
// ready, and the mirror holds every row (results counted through /benchmarks)
for (const r of replicas) {
  for (;;) {
    if (r.child.exitCode !== null) throw new Error(`${r.name} exited with ${r.child.exitCode}`);
    try {
      const ready = await fetch(`${r.url}/ready`);
      const b = (await (await fetch(`${r.url}/benchmarks`)).json()) as {
        benchmarks?: { results?: number }[];
      };
      const results = (b.benchmarks ?? []).reduce((n, x) => n + (x.results ?? 0), 0);
      if (ready.ok && results >= loaded) break;
    } catch {
      // not listening yet
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}
console.log(`two replicas ready, each mirror holding ${fmt(loaded)} rows`);

// ------------------------------------------------------------------------------------------ the load
const pool = Array.from({ length: 20 }, (_, i) => ({
  benchmark: ['gen-knowledge', 'gen-knowledge-pro', 'gen-math', 'gen-reasoning'][i % 4],
  levels: [['category'], ['difficulty'], ['year']][i % 3],
  ...(i >= 12 ? { filters: { year: [2015 + (i % 10)] } } : {}),
}));
for (const r of replicas)
  for (const b of pool)
    await fetch(`${r.url}/analysis`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    }).then((res) => res.arrayBuffer());
const connections = Number(values.connections);
const durationS = Number(values.duration);
const rssBefore = replicas.map((r) => rssMB(r.child.pid!));
const runLoad = (job: LoadJob) =>
  new Promise<LoadResult>((resolve, reject) => {
    const child = fork(new URL('./load.ts', import.meta.url).pathname, [JSON.stringify(job)], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) =>
      code ? reject(new Error(`load generator exited with ${code}`)) : undefined,
    );
  });
console.log(
  `load: ${connections} connections (${connections / 2} per replica) for ${durationS} s; ${values['unique-share']} of the bodies new (uncached), the rest 20 repeated one-level queries`,
);
const results = await Promise.all(
  replicas.map((r, i) =>
    runLoad({
      url: r.url,
      mode: 'mix',
      connections: connections / 2,
      durationS,
      uniqueShare: Number(values['unique-share']),
      uniqueFrom: (i + 1) * 1_000_000, // each replica's new bodies its own
      rate: 0,
      arrivals: 'together',
      pool,
      base: { benchmark: 'gen-knowledge', levels: ['category', 'difficulty'] },
      subjects: SUBJECT_NAMES,
    }),
  ),
);
const rssAfter = replicas.map((r) => rssMB(r.child.pid!));
for (const [i, r] of results.entries())
  console.log(
    `  ${replicas[i]!.name}: ${fmt(r.requests)} req, ${fmt(r.rps)} req/s, errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}; p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms (new p99 ${r.byKind.new.p99}, repeated p99 ${r.byKind.repeat.p99}); RSS ${fmt(rssBefore[i]!)} → ${fmt(rssAfter[i]!)} MB`,
  );
const total = results.reduce(
  (a, r) => ({
    requests: a.requests + r.requests,
    rps: a.rps + r.rps,
    bad: a.bad + r.errors + r.timeouts + r.non2xx,
  }),
  { requests: 0, rps: 0, bad: 0 },
);
console.log(
  `  both: ${fmt(total.requests)} req, ${fmt(total.rps)} req/s, errors + timeouts + non-2xx ${total.bad} (target 0: ${total.bad === 0 ? 'MET' : 'MISSED'})`,
);
for (const r of replicas) r.child.kill('SIGTERM');
await Promise.all(replicas.map((r) => new Promise((res) => r.child.once('exit', res))));
rmSync(dir, { recursive: true, force: true });
await admin.query(`DROP DATABASE IF EXISTS \`${values.db}\``);
await admin.end();
console.log(
  `\n${JSON.stringify({ date: new Date().toISOString(), rows: loaded, results, rssBefore, rssAfter })}`,
);
