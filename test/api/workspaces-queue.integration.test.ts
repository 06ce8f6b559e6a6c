/**
 * Queue mode (REDIS_URL) serves the default workspace only: runs and schedules in another workspace are
 * refused with a 400 that says so, and nothing is enqueued for them (MariaDB, a Redis of the test's own).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { startRedis } from '../helpers/queue.ts';
import { tmpDir } from '../helpers/tmp.ts';

describe('queue mode and workspaces', () => {
  const tmp = tmpDir('evalhouse-wsq-');
  const dbName = `t_ten_q${randomBytes(3).toString('hex')}`;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let app: FastifyInstance;
  let otherId = 0;

  beforeAll(async () => {
    redis = await startRedis();
    const c = await mysql.createConnection(TEST_MYSQL_SERVER);
    await c.query(`CREATE DATABASE \`${dbName}\``);
    await c.end();
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/q.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'off',
        MYSQL_URL: `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${dbName}`,
        REDIS_URL: redis.url,
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
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await workspaces?.close();
    await ctx?.close();
    const c = await mysql.createConnection(TEST_MYSQL_SERVER);
    await c.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await c.query(`DROP DATABASE IF EXISTS \`${dbName}_ws${otherId}\``);
    await c.end();
    await redis?.stop();
    tmp.cleanup();
  });

  it('refuses runs and schedules in another workspace with a 400 naming queue mode', async () => {
    const headers = { 'x-evalhouse-workspace': 'other' };
    const run = await app.inject({
      method: 'POST',
      url: '/runs',
      headers,
      payload: { benchmark: 'mmlu-redux-sample', model: 'fake:echo' },
    });
    expect(run.statusCode).toBe(400);
    expect(run.json().message).toMatch(/queue mode \(REDIS_URL\).*default workspace only/);
    const sched = await app.inject({
      method: 'POST',
      url: '/schedules',
      headers,
      payload: { benchmark: 'mmlu-redux-sample', model: 'fake:echo', cron: '0 3 * * *' },
    });
    expect(sched.statusCode).toBe(400);
    expect((await app.inject({ url: '/schedules', headers })).statusCode).toBe(400);
    expect(await ctx.queue!.queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
    // the default workspace keeps queue mode
    expect((await app.inject({ url: '/schedules' })).statusCode).toBe(200);
  });
});
