/**
 * Queue mode end to end: real `evalhouse worker` child processes, a real Redis (a redis-server of this
 * test's own, so FLUSHALL touches nobody else), real MariaDB, and the fake provider over HTTP. Each test
 * makes its own runs; the queue prefix and database are this file's own.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../api/context.ts';
import { installErrorHandler } from '../../api/errors.ts';
import { runsRoutes } from '../../api/routes/runs.ts';
import { schedulesRoutes } from '../../api/routes/schedules.ts';
import { loadConfig } from '../../core/config.ts';
import { enqueueRun } from '../../ingest/queue/enqueue.ts';
import { openRunQueue, queueReady, type RunQueue } from '../../ingest/queue/queue.ts';
import type { QueuedRunSpec } from '../../ingest/queue/spec.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { writeBenchmarkFolder } from '../fake-provider/bench-folder.ts';
import { answerFor } from '../fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse } from '../helpers/cli.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { eventually, startRedis, startWorker, type WorkerProcess } from '../helpers/queue.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ITEMS = 300;
const tmp = tmpDir('evalhouse-queue-');
const prefix = `evq${randomBytes(3).toString('hex')}`;
let redis: Awaited<ReturnType<typeof startRedis>>;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let store: MysqlStore;
let fake: FakeProvider;
let queue: RunQueue;
let flusher: Redis;
let workerEnv: Record<string, string>;
let workerArgs: string[];
const workers: WorkerProcess[] = [];
let config: ReturnType<typeof loadConfig>;
let modelsFile: string;

beforeAll(async () => {
  redis = await startRedis();
  db = await createTestDatabase('queue');
  store = await MysqlStore.open(db.url);
  fake = await startFakeProvider({ latencyMs: 30, answer: (c) => answerFor(c.prompt) });
  writeBenchmarkFolder(join(tmp.dir, 'fake-mc'), ITEMS);
  modelsFile = join(tmp.dir, 'models.yaml');
  writeFileSync(
    modelsFile,
    `models:\n  - name: fake\n    provider: openai-compatible\n    model: fake-model\n    base_url: ${fake.openaiBaseURL}\n`,
  );
  workerEnv = {
    MYSQL_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    QUEUE_CHUNK_ITEMS: '25',
    QUEUE_LOCK_MS: '2000',
    QUEUE_RECONCILE_MS: '1000',
  };
  workerArgs = ['--benchmarks', tmp.dir, '--models-file', modelsFile];
  config = loadConfig({ ...workerEnv, DUCKDB_PATH: join(tmp.dir, 'x.duckdb') });
  queue = openRunQueue(config.queue);
  flusher = new Redis(redis.url);
  workers.push(
    ...(await Promise.all([startWorker(workerEnv, workerArgs), startWorker(workerEnv, workerArgs)])),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await queue?.close();
  flusher?.disconnect();
  await store?.close();
  await fake?.close();
  await db?.drop();
  await redis?.stop();
  tmp.cleanup();
}, 60_000);

const spec = (label: string, over: Partial<QueuedRunSpec> = {}): QueuedRunSpec => ({
  benchmark: 'fake-mc',
  model: 'fake',
  label,
  limit: null,
  sample_seed: null,
  samples: 1,
  concurrency: 4,
  ...over,
});

const enqueue = (s: QueuedRunSpec) =>
  enqueueRun({ store, queue, files: { models: modelsFile, benchmarks: tmp.dir }, env: {} }, s);

async function finished(runId: number, timeoutMs = 90_000) {
  return eventually(
    async () => {
      const r = await store.getRun(runId);
      return r && r.status !== 'queued' && r.status !== 'running' ? r : undefined;
    },
    timeoutMs,
    `run #${runId} to finish`,
  );
}

/** Stored rows, distinct (item, sample) keys, and the most rows any key has. */
async function counts(runId: number) {
  const rows = await store.db.all<{ n: number; keys: number }>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT item_id, sample) AS `keys` FROM results WHERE run_id = ?',
    [runId],
  );
  const per = await store.db.all<{ m: number | null }>(
    'SELECT MAX(c) AS m FROM (SELECT COUNT(*) AS c FROM results WHERE run_id = ? GROUP BY item_id, sample) t',
    [runId],
  );
  return { rows: Number(rows[0]!.n), keys: Number(rows[0]!.keys), maxPerKey: Number(per[0]!.m ?? 0) };
}

/** evalhouse_run_items_total of one run in a worker's /metrics, summed over outcomes. */
async function itemsServed(w: WorkerProcess, runId: number): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^evalhouse_run_items_total\{([^}]*)\} (\S+)$/gm)) {
    if (m[1]!.includes(`run_id="${runId}"`)) n += Number(m[2]);
  }
  return n;
}

const completions = (runId: number) =>
  workers.map((w) => w.output().split(`run #${runId} completed`).length - 1).reduce((a, b) => a + b, 0);

describe('queue mode', () => {
  it('two workers complete a run with exactly one result per (item, sample), settled once', async () => {
    const out = await enqueue(spec('two-workers', { samples: 2 }));
    expect(out.chunks).toBe(ITEMS / 25);
    const run = await finished(out.run.id);
    expect(run.status).toBe('completed');
    expect(await counts(run.id)).toEqual({ rows: ITEMS * 2, keys: ITEMS * 2, maxPerKey: 1 });
    expect((run.summary as { done: number; total: number }).done).toBe(ITEMS * 2);
    // both workers asked, and every result was asked exactly once between them
    const served = await Promise.all(workers.map((w) => itemsServed(w, run.id)));
    expect(served.every((n) => n > 0)).toBe(true);
    expect(served[0]! + served[1]!).toBe(ITEMS * 2);
    expect(completions(run.id)).toBe(1);
    const metrics = await (await fetch(`${workers[0]!.url}/metrics`)).text();
    for (const s of ['waiting', 'active', 'delayed', 'failed'])
      expect(metrics).toMatch(new RegExp(`^evalhouse_queue_jobs\\{state="${s}"\\} \\d+$`, 'm'));
    for (const name of [
      'evalhouse_run_errors_total',
      'evalhouse_run_tokens_total',
      'evalhouse_run_cost_usd_total',
    ])
      expect(metrics).toContain(`${name}{`);
    expect((await fetch(`${workers[0]!.url}/health`)).status).toBe(200);
    // promtool lints the worker's exposition as it does the API's (every line it prints is a problem)
    if (spawnSync('promtool', ['--version']).error) {
      if (process.env.REQUIRE_PROMTOOL) throw new Error('promtool is required (apt-get install prometheus)');
    } else {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
      expect(`${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.trim() !== '')).toEqual([]);
      expect(lint.status).toBe(0);
    }
  }, 120_000);

  it('kill -9 of a worker mid-chunk: another takes its chunk over, still exactly once', async () => {
    const out = await enqueue(spec('kill-9'));
    await eventually(
      async () => ((await counts(out.run.id)).rows >= 60 ? true : undefined),
      60_000,
      '60 results',
    );
    const active = await queue.queue.getJobs(['active']);
    expect(active.length).toBeGreaterThan(0);
    const victim = workers.shift()!;
    const seen = workers[0]!.output().length;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const before = (await counts(out.run.id)).rows;
    expect(before).toBeLessThan(ITEMS);
    const run = await finished(out.run.id);
    expect(run.status).toBe('completed');
    expect(await counts(out.run.id)).toEqual({ rows: ITEMS, keys: ITEMS, maxPerKey: 1 });
    // the survivor saw the dead worker's chunk stall and took it
    expect(workers[0]!.output().slice(seen)).toMatch(/chunk run-\d+-chunk-\d+ stalled/);
    expect(completions(out.run.id)).toBe(1);
    workers.push(await startWorker(workerEnv, workerArgs));
  }, 150_000);

  it('SIGTERM: a worker lets its requests finish and hands its chunk back at once (no stall, no lock wait)', async () => {
    const out = await enqueue(spec('sigterm'));
    await eventually(
      async () => ((await counts(out.run.id)).rows >= 60 ? true : undefined),
      60_000,
      '60 results',
    );
    const leaving = workers.shift()!;
    const seen = workers[0]!.output().length;
    const t0 = Date.now();
    leaving.child.kill('SIGTERM');
    expect(await leaving.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(leaving.output()).toMatch(/SIGTERM: handing back chunks in flight/);
    const run = await finished(out.run.id);
    expect(run.status).toBe('completed');
    expect(await counts(out.run.id)).toEqual({ rows: ITEMS, keys: ITEMS, maxPerKey: 1 });
    expect(workers[0]!.output().slice(seen)).not.toMatch(/stalled/);
    workers.push(await startWorker(workerEnv, workerArgs));
  }, 150_000);

  it('Redis loses its data mid-run (FLUSHALL): the reconciler re-enqueues from MySQL, still exactly once', async () => {
    const out = await enqueue(spec('flushall'));
    await eventually(
      async () => ((await counts(out.run.id)).rows >= 60 ? true : undefined),
      60_000,
      '60 results',
    );
    const seen = workers.map((w) => w.output().length);
    await flusher.flushall();
    expect(await queue.queue.getJob(`run-${out.run.id}-chunk-${ITEMS / 25 - 1}`)).toBeUndefined();
    const run = await finished(out.run.id);
    expect(run.status).toBe('completed');
    expect(await counts(out.run.id)).toEqual({ rows: ITEMS, keys: ITEMS, maxPerKey: 1 });
    const after = workers.map((w, i) => w.output().slice(seen[i])).join('\n');
    expect(after).toMatch(/reconciler: [1-9]\d* chunk job\(s\) re-enqueued/);
  }, 150_000);

  it('a rate limit holds across two workers (requests per second at the provider)', async () => {
    fake.reset();
    const n = 80;
    const rpm = 600; // 10 a second; the bucket holds one second's worth
    const out = await enqueue(spec('rate-limited', { limit: n, rpm, concurrency: 8 }));
    const run = await finished(out.run.id);
    expect(run.status).toBe('completed');
    const at = fake.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at.length).toBeGreaterThanOrEqual(n);
    // in any one second at most a second's refill plus the bucket (10 + 10), whichever worker asked
    let worst = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! > 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(21);
    const seconds = (at[at.length - 1]! - at[0]!) / 1000;
    expect(seconds).toBeGreaterThan(((n - rpm / 60) / (rpm / 60)) * 0.9);
    const served = await Promise.all(workers.map((w) => itemsServed(w, run.id)));
    expect(served.filter((x) => x > 0).length).toBe(2);
  }, 120_000);

  describe('through the API', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = Fastify();
      app.setValidatorCompiler(validatorCompiler);
      app.setSerializerCompiler(serializerCompiler);
      installErrorHandler(app);
      const ctx = {
        record: store,
        mysql: store,
        queue,
        config,
        files: { benchmarks: tmp.dir, models: modelsFile },
        events: { minIntervalMs: 50, heartbeatMs: 1000, pollMs: 200 },
      };
      await app.register(runsRoutes, { ctx });
      await app.register(schedulesRoutes, { ctx });
    });
    afterAll(async () => {
      await app.close();
    });

    it('POST /runs enqueues; GET /runs/{id} and its events follow the workers’ progress', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/runs',
        payload: { benchmark: 'fake-mc', model: 'fake', limit: 100, run_id: 'api-queued' },
      });
      expect(res.statusCode).toBe(202);
      const { id, status } = res.json() as { id: number; status: string };
      expect(status).toBe('queued');
      const first = (await app.inject({ url: `/runs/${id}` })).json() as { active: boolean; status: string };
      expect(first.active).toBe(true);
      // the events stream of a run no runner of this process runs: polled from the store until it ends
      const ev = await app.inject({ url: `/runs/${id}/events` });
      expect(ev.statusCode).toBe(200);
      const events = [...ev.body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
        event: m[1],
        view: JSON.parse(m[2]!) as { status: string; progress: { done: number } | null },
      }));
      expect(events.at(-1)!.event).toBe('end');
      expect(events.at(-1)!.view.status).toBe('completed');
      expect(events.at(-1)!.view.progress!.done).toBe(100);
      expect(events.filter((e) => e.event === 'progress').length).toBeGreaterThanOrEqual(1);
      const view = (await app.inject({ url: `/runs/${id}` })).json() as {
        status: string;
        active: boolean;
        progress: { done: number; total: number; correct: number; incorrect: number };
      };
      expect(view).toMatchObject({ status: 'completed', active: false });
      expect(view.progress).toMatchObject({ done: 100, total: 100, correct: 50, incorrect: 50 });
      // the worker that ended the run says so in a JSON line carrying the run and the API request's id
      const line = workers
        .flatMap((w) => w.output().split('\n'))
        .find((l) => l.includes(`run #${id} completed`));
      expect(JSON.parse(line!)).toMatchObject({
        level: 'info',
        run_id: id,
        request_id: expect.stringMatching(/^req-/),
      });
    }, 120_000);

    it('POST /runs/{id}/cancel pauses a queued run in every worker; a resume finishes it exactly once', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/runs',
        payload: { benchmark: 'fake-mc', model: 'fake', run_id: 'api-cancel', concurrency: 2 },
      });
      const { id } = res.json() as { id: number };
      await eventually(async () => ((await counts(id)).rows >= 20 ? true : undefined), 60_000, '20 results');
      const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel` });
      expect(cancel.statusCode).toBe(200);
      expect((cancel.json() as { status: string }).status).toBe('paused');
      // the workers notice within their progress tick (2 s): requests in flight finish, nothing more is asked
      await new Promise((r) => setTimeout(r, 3000));
      const stopped = (await counts(id)).rows;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await counts(id)).rows).toBe(stopped);
      expect(stopped).toBeLessThan(ITEMS);
      const resumed = await app.inject({
        method: 'POST',
        url: '/runs',
        payload: { benchmark: 'fake-mc', model: 'fake', resume: id },
      });
      expect(resumed.statusCode).toBe(202);
      expect(resumed.json()).toMatchObject({ id, status: 'queued' });
      const run = await finished(id);
      expect(run.status).toBe('completed');
      expect(await counts(id)).toEqual({ rows: ITEMS, keys: ITEMS, maxPerKey: 1 });
    }, 120_000);

    it('schedules: create, list, fire (every second), survive a FLUSHALL, delete', async () => {
      const bad = await app.inject({
        method: 'POST',
        url: '/schedules',
        payload: { benchmark: 'fake-mc', model: 'fake', cron: 'not a cron' },
      });
      expect(bad.statusCode).toBe(400);
      expect((bad.json() as { message: string }).message).toMatch(/cron expression/);
      const res = await app.inject({
        method: 'POST',
        url: '/schedules',
        payload: { benchmark: 'fake-mc', model: 'fake', cron: '* * * * * *', limit: 5 },
      });
      expect(res.statusCode).toBe(201);
      const s = res.json() as { id: number; next_run_at: string | null };
      expect(s.next_run_at).not.toBeNull();
      const list = (await app.inject({ url: '/schedules' })).json() as { schedules: { id: number }[] };
      expect(list.schedules.map((x) => x.id)).toEqual([s.id]);
      const fired = await eventually(
        async () =>
          (await store.listRuns()).find(
            (r) => r.label.startsWith(`schedule-${s.id}-`) && r.status === 'completed',
          ),
        60_000,
        'a scheduled run to complete',
      );
      expect(await counts(fired.id)).toEqual({ rows: 5, keys: 5, maxPerKey: 1 });
      // Redis forgets the scheduler; MySQL remembers the schedule and the reconciler re-creates it
      await flusher.flushall();
      await eventually(
        async () => ((await queue.queue.getJobSchedulers(0, -1)).length === 1 ? true : undefined),
        30_000,
        'the job scheduler to be re-created',
      );
      const del = await app.inject({ method: 'DELETE', url: `/schedules/${s.id}` });
      expect(del.statusCode).toBe(200);
      expect((await app.inject({ method: 'DELETE', url: `/schedules/${s.id}` })).statusCode).toBe(404);
      expect(
        ((await app.inject({ url: '/schedules' })).json() as { schedules: unknown[] }).schedules,
      ).toEqual([]);
      expect(await queue.queue.getJobSchedulers(0, -1)).toEqual([]);
    }, 120_000);
  });

  it('the API context opens the queue in queue mode; queueReady() says whether Redis answers', async () => {
    const ctx = await openContext(config, { mirrorLoop: false });
    try {
      expect(ctx.queue).not.toBeNull();
      expect(await queueReady(ctx.queue)).toBe(true);
    } finally {
      await ctx.close();
    }
    expect(await queueReady(null)).toBe(true);
    const away = openRunQueue({ ...config.queue, redisUrl: `redis://127.0.0.1:${await closedPort()}` });
    try {
      expect(await queueReady(away, 500)).toBe(false);
      // Redis away when a run is asked for (no job can have reached the live Redis through this queue):
      // MySQL has it queued, and the reconciler of the workers on the live Redis enqueues and finishes it
      const out = await enqueueRun(
        { store, queue: away, files: { models: modelsFile, benchmarks: tmp.dir }, env: {} },
        spec('redis-away', { limit: 30 }),
      );
      expect(out.deferred).toMatch(/reconciler adds them/);
      expect(out.enqueued).toBe(0);
      const run = await finished(out.run.id);
      expect(run.status).toBe('completed');
      expect(await counts(out.run.id)).toEqual({ rows: 30, keys: 30, maxPerKey: 1 });
    } finally {
      await away.close();
    }
  });

  it('`evalhouse run --queue` enqueues and follows the run; queue mode without MYSQL_URL is refused', async () => {
    const cli = evalhouse(
      [
        'run',
        '--queue',
        '--benchmark',
        join(tmp.dir, 'fake-mc'),
        '--model',
        'fake',
        '--models-file',
        modelsFile,
        '--limit',
        '30',
        '--run-id',
        'cli-queued',
      ],
      { ...workerEnv },
    );
    const done = await cli.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/queued in 2 chunk\(s\)/);
    const run = (await store.listRuns()).find((r) => r.label === 'cli-queued')!;
    expect(run.status).toBe('completed');
    expect(await counts(run.id)).toEqual({ rows: 30, keys: 30, maxPerKey: 1 });
    // `evalhouse schedule`: add (checked like a run), list, remove
    const add = await evalhouse(
      [
        'schedule',
        'add',
        '--benchmark',
        'fake-mc',
        '--model',
        'fake',
        '--models-file',
        modelsFile,
        '--cron',
        '0 3 * * *',
      ],
      { ...workerEnv },
    ).done;
    // the bundled benchmarks have no fake-mc: refused before anything is saved
    expect(add.code, add.stderr).toBe(2);
    expect(add.stderr).toMatch(/fake-mc/);
    const added = await evalhouse(
      [
        'schedule',
        'add',
        '--benchmark',
        join(tmp.dir, 'fake-mc'),
        '--model',
        'fake',
        '--models-file',
        modelsFile,
        '--cron',
        '0 3 * * *',
        '--limit',
        '3',
      ],
      { ...workerEnv },
    ).done;
    expect(added.code, added.stderr).toBe(0);
    const sid = Number(/schedule #(\d+)/.exec(added.stdout)![1]);
    const listed = await evalhouse(['schedule', 'list', '--json'], { ...workerEnv }).done;
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: sid, cron: '0 3 * * *', benchmark: 'fake-mc', model: 'fake' }),
    ]);
    expect((await queue.queue.getJobSchedulers(0, -1)).map((x) => x.key)).toEqual([`schedule-${sid}`]);
    const removed = await evalhouse(['schedule', 'remove', String(sid)], { ...workerEnv }).done;
    expect(removed.code, removed.stderr).toBe(0);
    expect(await queue.queue.getJobSchedulers(0, -1)).toEqual([]);
    const refused = await evalhouse(['worker'], { REDIS_URL: redis.url, MYSQL_URL: '' }).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs MYSQL_URL/);
  }, 120_000);
});
