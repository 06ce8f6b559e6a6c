/**
 * Runner throughput against the local fake provider: N items, a fixed provider latency, concurrency C,
 * results written to a real DuckDB file. The fake server runs in its own process, so process.cpuUsage() here
 * is the runner's own CPU (SDK, scoring, store writes). Prints items/s against the ideal C / latency.
 *
 *   node node_modules/tsx/dist/cli.mjs perf/runner/run.ts [--items 2000] [--latency 200] [--concurrency 64]
 *        [--store duckdb|memory] [--write-behind N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import type { RecordStore } from '../../core/store.ts';
import { createOpenAIProvider } from '../../ingest/providers/openai.ts';
import { runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { openDuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { testPlan } from '../../test/fake-provider/plan.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '64' },
    store: { type: 'string', default: 'duckdb' },
    'write-behind': { type: 'string' },
  },
});
const items = Number(values.items);
const latency = Number(values.latency);
const concurrency = Number(values.concurrency);

const server = spawn(
  process.execPath,
  ['node_modules/tsx/dist/cli.mjs', 'test/fake-provider/serve.ts', '--latency', String(latency)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const baseURL = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /(http:\/\/[\d.:]+\/v1)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', () => reject(new Error(`fake server exited: ${out}`)));
});
const dir = mkdtempSync(join(tmpdir(), 'evalhouse-bench-'));
const store: RecordStore =
  values.store === 'memory' ? new MemoryStore() : await openDuckDbStore(join(dir, 'bench.duckdb'));
const provider = createOpenAIProvider({
  client: new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 }),
  model: 'fake',
  flavor: 'openai-compatible',
  prices: { input: 1, output: 2 },
});
const plan = testPlan(items, {
  concurrency,
  deadlineMs: 30_000,
  stallMs: 30_000,
  writeBehind: values['write-behind'] === undefined ? concurrency : Number(values['write-behind']),
});

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const out = await runBenchmark(plan, { store, provider });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);

const ideal = (concurrency * 1000) / latency;
const rate = (items * 1000) / wall;
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `runner bench: ${items} items, latency ${latency} ms, concurrency ${concurrency}, write-behind ${plan.writeBehind}, store ${values.store === 'memory' ? 'memory' : 'duckdb file'}`,
);
console.log(`  status ${out.status}, stored ${out.summary.done}, errors ${out.summary.errors}`);
console.log(
  `  wall ${(wall / 1000).toFixed(2)} s → ${rate.toFixed(1)} items/s; ideal ${ideal.toFixed(0)}/s; ratio ${((rate / ideal) * 100).toFixed(1)} %`,
);
console.log(`  runner CPU ${cpuMs.toFixed(0)} ms → ${(cpuMs / items).toFixed(3)} ms/item`);
console.log(
  `  writes: ${out.writes.batches} batches, mean ${(out.writes.rows / Math.max(1, out.writes.batches)).toFixed(1)} rows, max ${out.writes.maxBatch}, ${(out.writes.writeMs / Math.max(1, out.writes.batches)).toFixed(1)} ms/batch`,
);
await store.close();
server.kill('SIGINT');
rmSync(dir, { recursive: true, force: true });
