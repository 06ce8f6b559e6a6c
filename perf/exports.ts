/**
 * Export speed, side by side in one run (issue 17):
 *   (i)  on the BUNDLED real data (demo/: MMLU-Redux, 14 models × 57 subjects): time and size of every format
 *        for `analysis` by subject and for `compare` of two models, through POST /exports on an in-process app.
 *        "cold" is the first export of a query (its analysis uncached), "warm" the median of the next --reps.
 *        Targets: xlsx and pdf each ≤ 1 s.
 *  (ii)  `results` of 100k and 1M GENERATED rows (perf/generate.ts) as csv and parquet (json and arrow at 100k)
 *        from a server in a child process: time to first byte, rows/s, and the server's peak RSS while it
 *        streams (sampled every 20 ms from /proc). Targets: ≥ 500k rows/s to Parquet, ≥ 200k rows/s to CSV,
 *        memory flat from 100k to 1M.
 *
 *   npx tsx perf/exports.ts [--reps 5] [--rows 3400000] [--skip-results]
 *
 * The generated DuckDB file is cached in perf/out/ (perf/duck-file.ts); gen-knowledge holds 30 % of its rows.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.ts';
import { openContext } from '../api/context.ts';
import { loadDemoData } from '../api/demo.ts';
import { warmRenderWorker } from '../api/exports/render-pool.ts';
import { loadConfig } from '../core/config.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { ensureDuckFile } from './duck-file.ts';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    rows: { type: 'string', default: '3400000' },
    'skip-results': { type: 'boolean', default: false },
    'skip-bundled': { type: 'boolean', default: false },
  },
});
const REPS = Number(values.reps);
const FORMATS = ['xlsx', 'pdf', 'csv', 'parquet', 'arrow', 'json'] as const;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function bundled(): Promise<void> {
  const tmp = tmpDir('evalhouse-perf-exports-');
  const ctx = await openContext(loadConfig({ DUCKDB_PATH: join(tmp.dir, 'e.duckdb'), DEMO_DATA: 'off' }), {
    mirrorLoop: false,
  });
  await loadDemoData(ctx.record, () => undefined);
  await ctx.syncMirror();
  const app = await buildApp(ctx);
  // as the server does at its start: the export worker loads its libraries and fonts before the first export
  const t0 = performance.now();
  await warmRenderWorker();
  console.log(`export worker ready in ${(performance.now() - t0).toFixed(0)} ms`);
  const summary = (await app.inject({ method: 'GET', url: '/analysis/summary' })).json();
  const redux = summary.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'mmlu-redux');
  const models = redux.models.map((m: { model: string }) => m.model) as string[];
  const kinds = {
    'analysis by subject': { kind: 'analysis', query: { benchmark: 'mmlu-redux', levels: ['subject'] } },
    'compare of two models': {
      kind: 'compare',
      query: { benchmark: 'mmlu-redux', models: models.slice(0, 2), levels: ['subject'] },
    },
  };
  console.log(`(i) bundled MMLU-Redux: ${models.length} models; ${REPS} warm repetitions`);
  console.log('kind                   format   cold ms  warm ms (median)   size   event loop max ms');
  for (const [label, { kind, query }] of Object.entries(kinds)) {
    // the first format of each kind pays for its analyses (a fresh context: nothing cached); "cold" of the
    // others is the first export in that format (charts, workbook, fonts loaded)
    for (const format of FORMATS) {
      const times: number[] = [];
      let bytes = 0;
      let cold = 0;
      // the longest the event loop waited during this format's exports (other requests wait as long)
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      for (let i = 0; i <= REPS; i++) {
        const t = performance.now();
        const res = await app.inject({ method: 'POST', url: '/exports', payload: { kind, format, query } });
        const ms = performance.now() - t;
        if (res.statusCode !== 200)
          throw new Error(`${label} ${format}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        bytes = res.rawPayload.length;
        if (i === 0) cold = ms;
        else times.push(ms);
      }
      loop.disable();
      console.log(
        `${label.padEnd(22)} ${format.padEnd(8)} ${cold.toFixed(0).padStart(7)}  ${median(times).toFixed(0).padStart(7)}            ${kb(bytes).padEnd(9)} ${(loop.max / 1e6).toFixed(0).padStart(6)}`,
      );
    }
  }
  await app.close();
  await ctx.close();
  tmp.cleanup();
}

/** The server's resident set size in bytes, from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function results(): Promise<void> {
  const rows = Number(values.rows);
  const file = await ensureDuckFile(rows, new URL('./out/', import.meta.url).pathname);
  const port = 40_000 + Math.floor(Math.random() * 10_000);
  const server = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    env: { ...process.env, DUCKDB_PATH: file, DEMO_DATA: 'off', PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `\n(ii) results of gen-knowledge from a server (pid ${server.pid}); idle RSS ${(rss(server.pid!) / 2 ** 20).toFixed(0)} MB`,
    );
    console.log('rows       format   first byte ms   total s   rows/s     bytes        RSS before → peak MB');
    // 1M twice: the second shows what DuckDB's buffer cache (the table's pages, read once) adds to the first
    for (const limit of [100_000, 1_000_000, 1_000_000, 100_000]) {
      for (const format of ['parquet', 'csv', ...(limit === 100_000 ? ['json', 'arrow', 'xlsx'] : [])]) {
        const body = JSON.stringify({
          kind: 'results',
          format,
          query: { benchmark: 'gen-knowledge', limit },
        });
        const before = rss(server.pid!);
        let peak = before;
        const sampler = setInterval(() => {
          peak = Math.max(peak, rss(server.pid!));
        }, 20);
        const t0 = performance.now();
        const { first, bytes } = await new Promise<{ first: number; bytes: number }>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/exports',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              if (res.statusCode !== 200) reject(new Error(`${format} ${limit}: ${res.statusCode}`));
              let first = 0;
              let bytes = 0;
              res.on('data', (b: Buffer) => {
                if (!first) first = performance.now() - t0;
                bytes += b.length;
              });
              res.on('end', () => resolve({ first, bytes }));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(body);
        });
        const s = (performance.now() - t0) / 1000;
        clearInterval(sampler);
        console.log(
          `${String(limit).padEnd(10)} ${format.padEnd(8)} ${first.toFixed(0).padStart(13)}   ${s.toFixed(2).padStart(7)}   ${Math.round(
            limit / s,
          )
            .toLocaleString('en')
            .padStart(
              9,
            )}  ${String(bytes).padStart(11)}  ${(before / 2 ** 20).toFixed(0).padStart(6)} → ${(peak / 2 ** 20).toFixed(0)}`,
        );
      }
    }
  } finally {
    server.kill('SIGTERM');
  }
}

if (!values['skip-bundled']) await bundled();
if (!values['skip-results']) await results();
process.exit(0);
