/**
 * Queue mode (REDIS_URL) and workspaces: a run queued in workspace `other` carries the workspace in its
 * jobs, a worker runs it into `other`'s database (`<db>_ws<id>`) and nowhere else, a cancel pauses it
 * there, the reconciler re-adds its lost chunks under its own job ids, and its schedules are its own.
 * MariaDB, a Redis of the test's own, an in-process ChunkWorker over the fake provider.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkspaceStores } from '../../accounts/workspace-stores.ts';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces, workspaceDatabase } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { DEFAULT_BENCHMARKS_ROOT } from '../../ingest/benchmarks/load.ts';
import { chunkJobId, schedulerId } from '../../ingest/queue/queue.ts';
import { reconcile } from '../../ingest/queue/reconcile.ts';
import { ChunkWorker } from '../../ingest/queue/worker.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { eventually, startRedis } from '../helpers/queue.ts';
import { tmpDir } from '../helpers/tmp.ts';

describe('queue mode and workspaces', () => {
  const tmp = tmpDir('evalhouse-wsq-');
  const dbName = `t_ten_q${randomBytes(3).toString('hex')}`;
  const mysqlUrl = `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${dbName}`;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let fake: FakeProvider;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let app: FastifyInstance;
  let stores: WorkspaceStores;
  let worker: ChunkWorker | null = null;
  let otherId = 0;
  let server: mysql.Connection;
  const other = { 'x-evalhouse-workspace': 'other' };

  /** Rows of a table in one database, read apart from the application's pools. */
  const rows = async (db: string, q: string, args: unknown[] = []) =>
    (await server.query(`SELECT ${q.replace('FROM ', `FROM \`${db}\`.`)}`, args))[0] as Record<
      string,
      unknown
    >[];
  const otherDb = () => workspaceDatabase(mysqlUrl, otherId).name;

  const startWorker = () => {
    worker = new ChunkWorker(
      {
        stores,
        queue: ctx.queue!,
        files: { models: `${tmp.dir}/none.yaml`, benchmarks: DEFAULT_BENCHMARKS_ROOT },
        env: {},
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        progressMs: 200,
      },
      ctx.config.queue,
    );
  };

  const startRun = (label: string, limit: number, headers: Record<string, string> = other) =>
    app.inject({
      method: 'POST',
      url: '/runs',
      headers,
      payload: {
        benchmark: 'mmlu-redux',
        model: 'openai-compatible:fake-ws',
        base_url: fake.openaiBaseURL,
        limit,
        concurrency: 1,
        run_id: label,
      },
    });

  beforeAll(async () => {
    redis = await startRedis();
    fake = await startFakeProvider({ latencyMs: 5, answer: () => 'Answer: A' });
    server = await mysql.createConnection(TEST_MYSQL_SERVER);
    await server.query(`CREATE DATABASE \`${dbName}\``);
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/q.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'off',
        MYSQL_URL: mysqlUrl,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `wsq${randomBytes(3).toString('hex')}`,
        QUEUE_CHUNK_ITEMS: '4',
        RUN_ALLOW_LOOPBACK_URLS: 'true',
        // a schedule's provider is built when it is made (never called here: it fires at 03:00)
        OPENAI_API_KEY: 'sk-test-not-a-key',
      }),
      { mirrorLoop: false, reconciler: false },
    );
    const by = {
      actor: { userId: null, email: null, role: null, keyId: null },
      requestId: null,
      address: null,
    };
    otherId = (await ctx.accounts!.createWorkspace('other', 'Other', by)).id;
    workspaces = new Workspaces(ctx, { mirrorLoop: false });
    app = await buildApp(ctx, { workspaces });
    stores = new WorkspaceStores(ctx.mysql!, { ...ctx.config, mysqlUrl });
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await workspaces?.close();
    await stores?.close();
    await ctx?.close();
    await server?.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await server?.query(`DROP DATABASE IF EXISTS \`${dbName}_ws${otherId}\``);
    await server?.end();
    await fake?.close();
    await redis?.stop();
    tmp.cleanup();
  });

  it('a run queued in another workspace lands in its database, not in default’s, audited there once', async () => {
    const res = await startRun('ws-run', 10);
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json() as { id: number };
    // its jobs carry the workspace, under ids of its own (run ids are per database): 3 chunks of 4, 4, 2
    const jobs = await ctx.queue!.queue.getJobs(['waiting', 'delayed', 'prioritized']);
    const mine = jobs.filter((j) => j.id?.startsWith(`ws-${otherId}-run-${id}-`));
    expect(mine.map((j) => j.id).sort()).toEqual(
      [0, 1, 2].map((c) => chunkJobId(id, c, { id: otherId, slug: 'other' })),
    );
    for (const j of mine)
      expect(j.data).toMatchObject({ runId: id, workspace: { id: otherId, slug: 'other' } });

    startWorker();
    const done = await eventually(
      async () => {
        const r = await app.inject({ url: `/runs/${id}`, headers: other });
        const v = r.json() as { status: string; progress: { done: number } | null };
        return v.status === 'completed' ? v : undefined;
      },
      60_000,
      'the workspace run to complete',
    );
    expect(done.progress?.done).toBe(10);
    const [inOther] = await rows(otherDb(), 'COUNT(*) AS n FROM results WHERE run_id = ?', [id]);
    expect(Number(inOther!.n)).toBe(10);
    // nothing of it in the default workspace's database: no run of that label, no result at all
    expect(await rows(dbName, 'id FROM runs WHERE label = ?', ['ws-run'])).toEqual([]);
    const [inDefault] = await rows(dbName, 'COUNT(*) AS n FROM results');
    expect(Number(inDefault!.n)).toBe(0);
    // GET /runs of default shows nothing of it; the workspace's own does
    const listed = (await app.inject({ url: '/runs' })).json() as { runs: { label: string }[] };
    expect(listed.runs.map((r) => r.label)).not.toContain('ws-run');
    const theirs = (await app.inject({ url: '/runs', headers: other })).json() as {
      runs: { label: string }[];
    };
    expect(theirs.runs.map((r) => r.label)).toContain('ws-run');
    // the creation is audited once, in the workspace's own chain
    const created = await rows(otherDb(), 'resource FROM audit_log WHERE action = ?', ['run.create']);
    expect(created).toEqual([{ resource: `run:${id}` }]);
    expect(await rows(dbName, 'id FROM audit_log WHERE action = ?', ['run.create'])).toEqual([]);
  }, 90_000);

  it('cancel pauses the workspace’s queued run in its database; the worker asks nothing more', async () => {
    fake.set({ latencyMs: 150 });
    try {
      const res = await startRun('ws-stop', 40);
      expect(res.statusCode, res.body).toBe(202);
      const { id } = res.json() as { id: number };
      await eventually(
        async () => {
          const [r] = await rows(otherDb(), 'COUNT(*) AS n FROM results WHERE run_id = ?', [id]);
          return Number(r!.n) >= 3 ? true : undefined;
        },
        30_000,
        '3 results',
      );
      const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel`, headers: other });
      expect(cancel.statusCode, cancel.body).toBe(200);
      expect((cancel.json() as { status: string }).status).toBe('paused');
      const [row] = await rows(otherDb(), 'status FROM runs WHERE id = ?', [id]);
      expect(row!.status).toBe('paused');
      // within the worker's progress tick the chunk in flight stops; waiting chunks are skipped
      await new Promise((r) => setTimeout(r, 1500));
      const [a] = await rows(otherDb(), 'COUNT(*) AS n FROM results WHERE run_id = ?', [id]);
      await new Promise((r) => setTimeout(r, 1000));
      const [b] = await rows(otherDb(), 'COUNT(*) AS n FROM results WHERE run_id = ?', [id]);
      expect(Number(b!.n)).toBe(Number(a!.n));
      expect(Number(b!.n)).toBeLessThan(40);
      const stops = await rows(otherDb(), 'resource, after FROM audit_log WHERE action = ?', ['run.stop']);
      expect(stops).toHaveLength(1);
      expect(stops[0]!.resource).toBe(`run:${id}`);
      const after = stops[0]!.after;
      expect(typeof after === 'string' ? JSON.parse(after) : after).toEqual({ status: 'paused' });
      // the default workspace's run ids are its own: the same id there is not this run
      const there = await app.inject({ method: 'POST', url: `/runs/${id}/cancel` });
      expect(there.statusCode).toBe(404);
    } finally {
      fake.set({ latencyMs: 5 });
    }
  }, 90_000);

  it('the reconciler re-adds a workspace run’s lost chunks under its workspace', async () => {
    await worker?.close();
    worker = null;
    const res = await startRun('ws-lost', 8);
    const { id } = res.json() as { id: number };
    // Redis loses the jobs (as after a restart without persistence)
    await ctx.queue!.queue.obliterate({ force: true });
    const out = await reconcile(stores, ctx.queue!);
    expect(out.added).toBe(2);
    const jobs = await ctx.queue!.queue.getJobs(['waiting', 'delayed', 'prioritized']);
    const ws = { id: otherId, slug: 'other' };
    expect(jobs.map((j) => j.id).sort()).toEqual([chunkJobId(id, 0, ws), chunkJobId(id, 1, ws)]);
    for (const j of jobs) expect(j.data).toMatchObject({ workspace: ws });
    startWorker();
    await eventually(
      async () => {
        const [r] = await rows(otherDb(), 'status FROM runs WHERE id = ?', [id]);
        return r!.status === 'completed' ? true : undefined;
      },
      60_000,
      'the reconciled run to complete',
    );
  }, 90_000);

  it('schedules are per workspace: their schedulers carry the workspace, default lists none of them', async () => {
    const made = await app.inject({
      method: 'POST',
      url: '/schedules',
      headers: other,
      payload: { benchmark: 'mmlu-redux', model: 'openai:gpt-4o-mini', cron: '0 3 * * *', limit: 2 },
    });
    expect(made.statusCode, made.body).toBe(201);
    const s = made.json() as { id: number; next_run_at: string | null };
    expect(s.next_run_at).not.toBeNull();
    const schedulers = await ctx.queue!.queue.getJobSchedulers(0, -1);
    expect(schedulers.map((h) => h.key)).toContain(schedulerId(s.id, { id: otherId, slug: 'other' }));
    expect(((await app.inject({ url: '/schedules' })).json() as { schedules: unknown[] }).schedules).toEqual(
      [],
    );
    const listed = (await app.inject({ url: '/schedules', headers: other })).json() as {
      schedules: { id: number }[];
    };
    expect(listed.schedules.map((x) => x.id)).toEqual([s.id]);
    // the reconciler of the default workspace leaves the workspace's scheduler alone
    await reconcile(stores, ctx.queue!);
    const after = await ctx.queue!.queue.getJobSchedulers(0, -1);
    expect(after.map((h) => h.key)).toContain(schedulerId(s.id, { id: otherId, slug: 'other' }));
    const del = await app.inject({ method: 'DELETE', url: `/schedules/${s.id}`, headers: other });
    expect(del.statusCode).toBe(200);
    expect((await ctx.queue!.queue.getJobSchedulers(0, -1)).map((h) => h.key)).not.toContain(
      schedulerId(s.id, { id: otherId, slug: 'other' }),
    );
  }, 60_000);

  it('an entry that cannot be written undoes the change: queueing, cancelling, scheduling', async () => {
    await worker?.close();
    worker = null;
    const db = otherDb();
    const count = async (q: string, args: unknown[] = []) => Number((await rows(db, q, args))[0]!.n);
    const started = await startRun('ws-audited', 4);
    const { id } = started.json() as { id: number };
    const entries = await count('COUNT(*) AS n FROM audit_log');
    const [head] = await rows(db, "value FROM settings WHERE name = 'audit_head'");
    // the workspace's chain head gone: every audit insert there fails
    await server.query(`DELETE FROM \`${db}\`.settings WHERE name = 'audit_head'`);
    try {
      const queued = await count('COUNT(*) AS n FROM run_queue');
      const jobsBefore = (await ctx.queue!.queue.getJobs(['waiting', 'delayed', 'prioritized'])).length;
      const refused = await startRun('ws-unaudited', 4);
      expect(refused.statusCode).toBe(500);
      expect(await rows(db, 'id FROM runs WHERE label = ?', ['ws-unaudited'])).toEqual([]);
      expect(await count('COUNT(*) AS n FROM run_queue')).toBe(queued);
      expect((await ctx.queue!.queue.getJobs(['waiting', 'delayed', 'prioritized'])).length).toBe(jobsBefore);

      const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel`, headers: other });
      expect(cancel.statusCode).toBe(500);
      expect((await rows(db, 'status FROM runs WHERE id = ?', [id]))[0]!.status).toBe('queued');

      const sched = await app.inject({
        method: 'POST',
        url: '/schedules',
        headers: other,
        payload: { benchmark: 'mmlu-redux', model: 'openai:gpt-4o-mini', cron: '0 4 * * *' },
      });
      expect(sched.statusCode).toBe(500);
      expect(await count('COUNT(*) AS n FROM schedules')).toBe(0);
      const ws = { id: otherId, slug: 'other' };
      const keys = (await ctx.queue!.queue.getJobSchedulers(0, -1)).map((h) => h.key);
      expect(keys.filter((k) => k.startsWith(`ws-${ws.id}-`))).toEqual([]);
      expect(await count('COUNT(*) AS n FROM audit_log')).toBe(entries);
    } finally {
      await server.query(`INSERT INTO \`${db}\`.settings (name, value) VALUES ('audit_head', ?)`, [
        head!.value,
      ]);
    }
    // writable again: the cancel goes through, audited once
    const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel`, headers: other });
    expect(cancel.statusCode).toBe(200);
    expect(
      await count("COUNT(*) AS n FROM audit_log WHERE action = 'run.stop' AND resource = ?", [`run:${id}`]),
    ).toBe(1);
    expect((await app.inject({ url: '/audit/verify', headers: other })).json()).toMatchObject({ ok: true });
  }, 60_000);
});
