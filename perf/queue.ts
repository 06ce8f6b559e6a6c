/**
 * Queue mode drills (issue 20), against the local fake provider (200 ms per answer), real MariaDB (a fresh
 * database) and a redis-server of this script's own on a free port (the machine's shared Redis is never
 * flushed or stopped). Each worker is a real `evalhouse worker` process.
 *   1. scale: one worker, then two, on an N-item run (default 2,000): both times and their ratio;
 *   2. rate: two workers under one shared --rpm limit: requests per minute measured at the provider;
 *   3. faults: kill -9 of a worker mid-run, then Redis stopped for 10 s and started empty mid-run:
 *      each run's counts (rows, distinct (item, sample), most rows of any key) and its status;
 *   4. mysql (only with --mysql-restart): MariaDB itself shut down mid-run and started again 10 s later
 *      (`mysqladmin shutdown`, then `start-stop-daemon` as .ci/run starts it): the machine's shared server,
 *      so never while anything else uses it.
 *
 *   node node_modules/tsx/dist/cli.mjs perf/queue.ts [--items 2000] [--latency 200] [--concurrency 16]
 *        [--chunk 50] [--rpm 1200] [--rate-items 600] [--skip scale,rate,faults] [--mysql-restart]
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config.ts';
import { enqueueRun } from '../ingest/queue/enqueue.ts';
import { openRunQueue } from '../ingest/queue/queue.ts';
import type { QueuedRunSpec } from '../ingest/queue/spec.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { writeBenchmarkFolder } from '../test/fake-provider/bench-folder.ts';
import { answerFor } from '../test/fake-provider/plan.ts';
import { startFakeProvider } from '../test/fake-provider/server.ts';
import { createTestDatabase } from '../test/helpers/mysql.ts';
import { startRedis, startWorker, type WorkerProcess } from '../test/helpers/queue.ts';
import { tmpDir } from '../test/helpers/tmp.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    chunk: { type: 'string', default: '50' },
    rpm: { type: 'string', default: '1200' },
    'rate-items': { type: 'string', default: '600' },
    skip: { type: 'string', default: '' },
    'mysql-restart': { type: 'boolean', default: false },
  },
});
const ITEMS = Number(values.items);
const CONCURRENCY = Number(values.concurrency);
const skip = new Set(values.skip.split(',').filter(Boolean));

const tmp = tmpDir('evalhouse-perf-queue-');
let redis = await startRedis();
const db = await createTestDatabase('perfq');
const store = await MysqlStore.open(db.url);
const fake = await startFakeProvider({
  latencyMs: Number(values.latency),
  answer: (c) => answerFor(c.prompt),
});
writeBenchmarkFolder(join(tmp.dir, 'fake-mc'), Math.max(ITEMS, Number(values['rate-items'])));
const modelsFile = join(tmp.dir, 'models.yaml');
writeFileSync(
  modelsFile,
  `models:\n  - name: fake\n    provider: openai-compatible\n    model: fake-model\n    base_url: ${fake.openaiBaseURL}\n`,
);
const env = {
  MYSQL_URL: db.url,
  REDIS_URL: redis.url,
  QUEUE_PREFIX: `perfq${randomBytes(3).toString('hex')}`,
  QUEUE_CHUNK_ITEMS: values.chunk,
  QUEUE_LOCK_MS: '5000',
  QUEUE_RECONCILE_MS: '2000',
};
const config = loadConfig({ ...env, DUCKDB_PATH: join(tmp.dir, 'x.duckdb') });
const queue = openRunQueue(config.queue);
const args = ['--benchmarks', tmp.dir, '--models-file', modelsFile];
const workers: WorkerProcess[] = [];

const spec = (label: string, over: Partial<QueuedRunSpec> = {}): QueuedRunSpec => ({
  benchmark: 'fake-mc',
  model: 'fake',
  label,
  limit: ITEMS,
  sample_seed: null,
  samples: 1,
  concurrency: CONCURRENCY,
  ...over,
});
const enqueue = (s: QueuedRunSpec) =>
  enqueueRun({ store, queue, files: { models: modelsFile, benchmarks: tmp.dir }, env: {} }, s);

async function finish(runId: number): Promise<string> {
  for (;;) {
    const r = await store.getRun(runId);
    if (r && r.status !== 'queued' && r.status !== 'running') return r.status;
    await new Promise((res) => setTimeout(res, 100));
  }
}
async function counts(runId: number) {
  const [a] = await store.db.all<{ n: number; k: number }>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT item_id, sample) AS k FROM results WHERE run_id = ?',
    [runId],
  );
  const [b] = await store.db.all<{ m: number | null }>(
    'SELECT MAX(c) AS m FROM (SELECT COUNT(*) AS c FROM results WHERE run_id = ? GROUP BY item_id, sample) t',
    [runId],
  );
  return { rows: Number(a!.n), keys: Number(a!.k), maxPerKey: Number(b!.m ?? 0) };
}
async function setWorkers(n: number) {
  while (workers.length > n) await workers.pop()!.stop();
  while (workers.length < n) workers.push(await startWorker(env, args));
}
async function timed(label: string, over: Partial<QueuedRunSpec> = {}) {
  const t0 = performance.now();
  const out = await enqueue(spec(label, over));
  const status = await finish(out.run.id);
  return { runId: out.run.id, seconds: (performance.now() - t0) / 1000, status };
}
const waitRows = async (runId: number, n: number) => {
  while ((await counts(runId)).rows < n) await new Promise((r) => setTimeout(r, 100));
};

try {
  console.log(
    `queue drill: ${ITEMS} items, ${values.latency} ms per answer, concurrency ${CONCURRENCY} per chunk, chunks of ${values.chunk}`,
  );
  if (!skip.has('scale')) {
    await setWorkers(1);
    const one = await timed('scale-1');
    console.log(
      `1 worker:  ${one.seconds.toFixed(1)} s (${one.status}, ${(ITEMS / one.seconds).toFixed(1)} items/s)`,
    );
    await setWorkers(2);
    const two = await timed('scale-2');
    console.log(
      `2 workers: ${two.seconds.toFixed(1)} s (${two.status}, ${(ITEMS / two.seconds).toFixed(1)} items/s)`,
    );
    console.log(`ratio 2 workers / 1 worker: ${(two.seconds / one.seconds).toFixed(2)} (target ≤ 0.60)`);
    console.log(
      `counts: 1 worker ${JSON.stringify(await counts(one.runId))}, 2 workers ${JSON.stringify(await counts(two.runId))}`,
    );
  }
  if (!skip.has('rate')) {
    await setWorkers(2);
    const rpm = Number(values.rpm);
    const n = Number(values['rate-items']);
    fake.reset();
    const r = await timed('rate', { limit: n, rpm, concurrency: 32 });
    const at = fake.requests.map((q) => q.at).sort((a, b) => a - b);
    const span = (at[at.length - 1]! - at[0]!) / 1000;
    let worst = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! > 10_000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    console.log(
      `rate: ${at.length} requests in ${span.toFixed(1)} s by 2 workers under --rpm ${rpm}: ` +
        `${((at.length / span) * 60).toFixed(0)} requests/min overall, ${(((at.length - rpm / 60) / span) * 60).toFixed(0)} after the first second's bucket, ` +
        `at most ${worst} in any 10 s (limit ${rpm / 6} + a bucket of ${rpm / 60}) (${r.status})`,
    );
  }
  if (!skip.has('faults')) {
    await setWorkers(2);
    fake.reset();
    const t0 = performance.now();
    const a = await enqueue(spec('fault-kill'));
    await waitRows(a.run.id, Math.floor(ITEMS * 0.3));
    const victim = workers.shift()!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = (await counts(a.run.id)).rows;
    const statusA = await finish(a.run.id);
    console.log(
      `kill -9 of a worker at ${atKill}/${ITEMS} stored: ${statusA} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
        `counts ${JSON.stringify(await counts(a.run.id))}, provider requests ${fake.requests.length} (${fake.requests.length - ITEMS} asked twice)`,
    );
    workers.push(await startWorker(env, args));

    fake.reset();
    const t1 = performance.now();
    const b = await enqueue(spec('fault-redis'));
    await waitRows(b.run.id, Math.floor(ITEMS * 0.3));
    const port = redis.port;
    await redis.stop();
    const atStop = (await counts(b.run.id)).rows;
    await new Promise((r) => setTimeout(r, 10_000));
    const during = (await counts(b.run.id)).rows;
    redis = await startRedis(port); // empty: nothing on disk
    const statusB = await finish(b.run.id);
    console.log(
      `Redis stopped at ${atStop}/${ITEMS} stored (${during} stored when it came back empty 10 s later): ${statusB} in ` +
        `${((performance.now() - t1) / 1000).toFixed(1)} s, counts ${JSON.stringify(await counts(b.run.id))}, provider requests ${fake.requests.length}`,
    );
  }
  if (values['mysql-restart']) {
    const { execFileSync } = await import('node:child_process');
    const up = () => {
      try {
        execFileSync('mysqladmin', ['--host=127.0.0.1', '--user=root', 'ping'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    /** The store's reads retried while MariaDB is away (its pool reconnects once the server is back). */
    const retry = async <T>(f: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await f();
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    await setWorkers(2);
    fake.reset();
    const t2 = performance.now();
    const c = await enqueue(spec('fault-mysql'));
    await waitRows(c.run.id, Math.floor(ITEMS * 0.3));
    const atStop = (await counts(c.run.id)).rows;
    execFileSync('mysqladmin', ['--host=127.0.0.1', '--user=root', 'shutdown']);
    while (up()) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 10_000));
    execFileSync('start-stop-daemon', [
      '--start',
      '--oknodo',
      '--background',
      '--exec',
      '/usr/sbin/mariadbd',
    ]);
    while (!up()) await new Promise((r) => setTimeout(r, 200));
    const statusC = await retry(() => finish(c.run.id));
    console.log(
      `MariaDB shut down at ${atStop}/${ITEMS} stored and started again 10 s later: ${statusC} in ` +
        `${((performance.now() - t2) / 1000).toFixed(1)} s, counts ${JSON.stringify(await retry(() => counts(c.run.id)))}, provider requests ${fake.requests.length}`,
    );
  }
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  await queue.close();
  await store.close();
  await fake.close();
  await db.drop();
  await redis.stop();
  tmp.cleanup();
}
