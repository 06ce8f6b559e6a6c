/**
 * What a large import costs everyone else: a server (its own process, embedded DuckDB) imports a file of
 * small records while this script probes it: GET /health every 50 ms, an uncached POST /analysis every
 * 200 ms and a one-line POST /imports every 500 ms, each waiting for the previous answer. Prints the
 * probes' latencies (nearest rank) and the import's duration.
 *
 *   npx tsx perf/import-starvation.ts [--rows 400000] [--root DIR] [--mysql]
 *
 * --mysql: the server on MariaDB at 127.0.0.1:3306 (root, database evalhouse_bench_starve, dropped first)
 * with its DuckDB mirror.
 *
 * --root runs the server of another checkout (e.g. the commit before a change: `git worktree add`), so the
 * same probes measure before and after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nearestRank } from './load.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '400000' },
    root: { type: 'string' },
    mysql: { type: 'boolean' },
  },
});
const ROWS = Number(values.rows);
const ROOT = resolve(values.root ?? new URL('..', import.meta.url).pathname);
const dir = mkdtempSync(join(tmpdir(), 'evalhouse-bench-starve-'));

const line = (bench: string, i: number) =>
  JSON.stringify({
    benchmark: bench,
    model: 'm',
    item_id: `q${i}`,
    correct: i % 3 === 0,
    metadata: { t: `t${i % 8}` },
  });

const MYSQL_SERVER = 'mysql://root@127.0.0.1:3306';
const MYSQL_DB = 'evalhouse_bench_starve';

async function freshDatabase(): Promise<string> {
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection(MYSQL_SERVER);
  await c.query(`DROP DATABASE IF EXISTS ${MYSQL_DB}`);
  await c.query(`CREATE DATABASE ${MYSQL_DB}`);
  await c.end();
  return `${MYSQL_SERVER}/${MYSQL_DB}`;
}

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const mysqlUrl = values.mysql ? await freshDatabase() : '';
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'api/server.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        DEMO_DATA: 'off',
        DUCKDB_PATH: join(dir, 'b.duckdb'),
        LOG_LEVEL: 'info',
        MYSQL_URL: mysqlUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      const m = /listening at (http:\/\/[\d.]+:\d+)/i.exec(out);
      if (m) res(m[1]!);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.on('exit', () => rej(new Error(out)));
  });
  return { child, url };
}

async function timed(fn: () => Promise<Response>): Promise<number> {
  const t0 = performance.now();
  const r = await fn();
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`probe answered ${r.status}`);
  return performance.now() - t0;
}

const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(1)} ms`);
  return `n=${s.length}  p50 ${f(nearestRank(s, 0.5))}  p95 ${f(nearestRank(s, 0.95))}  max ${f(s[s.length - 1])}`;
};

async function main() {
  const file = join(dir, 'big.jsonl');
  writeFileSync(file, `${Array.from({ length: ROWS }, (_, i) => line('bigbench', i)).join('\n')}\n`);
  const { child, url } = await startServer();
  try {
    const one = (i: number) =>
      fetch(`${url}/imports`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${line('probe', i)}\n`,
      });
    for (let i = 0; i < 200; i++) await (await one(i)).arrayBuffer(); // the analysis probe's benchmark
    const analysis = (i: number) =>
      fetch(`${url}/analysis`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // a value no item has makes every body new: never a cache hit
        body: JSON.stringify({
          benchmark: 'probe',
          levels: ['t'],
          filters: { t: ['t0', 't1', 't2', `none${i}`] },
        }),
      });
    const idle = { health: [] as number[], analysis: [] as number[] };
    for (let i = 0; i < 20; i++) {
      idle.health.push(await timed(() => fetch(`${url}/health`)));
      idle.analysis.push(await timed(() => analysis(-i - 1)));
    }
    const lat = {
      health: [] as number[],
      metrics: [] as number[],
      analysis: [] as number[],
      oneLine: [] as number[],
    };
    // the server's own event-loop delay (prom-client's monitor, reset at each scrape): the max over the import
    let lagMax = 0;
    const scrape = async () => {
      const t0 = performance.now();
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = /^\w*nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
      if (m) lagMax = Math.max(lagMax, Number(m[1]));
      return performance.now() - t0;
    };
    await scrape();
    lagMax = 0;
    let importing = true;
    const probe = async (every: number, fn: (i: number) => Promise<number>, out: number[]) => {
      for (let i = 0; importing; i++) {
        const t0 = performance.now();
        out.push(await fn(i));
        await new Promise((r) => setTimeout(r, Math.max(0, every - (performance.now() - t0))));
      }
    };
    const t0 = performance.now();
    const big = fetch(`${url}/imports?filename=big.jsonl`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: await import('node:fs').then((fs) => fs.readFileSync(file)),
    });
    const probes = Promise.all([
      probe(50, () => timed(() => fetch(`${url}/health`)), lat.health),
      probe(100, scrape, lat.metrics),
      probe(200, (i) => timed(() => analysis(i)), lat.analysis),
      probe(500, (i) => timed(() => one(1000 + i)), lat.oneLine),
    ]);
    const res = await big;
    const body = (await res.json()) as { inserted?: number; message?: string };
    const importS = (performance.now() - t0) / 1000;
    importing = false;
    await probes;
    console.log(`server: ${ROOT} (${values.mysql ? 'MariaDB + DuckDB mirror' : 'embedded DuckDB'})`);
    console.log(
      `import of ${ROWS} records: ${importS.toFixed(1)} s, ${res.status}, inserted ${body.inserted ?? body.message}`,
    );
    console.log(`idle      /health          ${summary(idle.health)}`);
    console.log(`idle      /analysis (new)  ${summary(idle.analysis)}`);
    console.log(`importing /health          ${summary(lat.health)}`);
    console.log(`importing /metrics         ${summary(lat.metrics)}`);
    console.log(`importing /analysis (new)  ${summary(lat.analysis)}`);
    console.log(`importing one-line import  ${summary(lat.oneLine)}`);
    console.log(`server event-loop delay during the import: max ${(lagMax * 1000).toFixed(0)} ms`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
