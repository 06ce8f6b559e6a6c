import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** GET /ready against real stores: the store's own checks, and checks another part (the queue) adds. */
const tmp = tmpDir();
afterAll(() => tmp.cleanup());

interface ReadyBody {
  status: string;
  checks: { name: string; ok: boolean; ms: number; error?: string }[];
  failing: string[];
}

async function ready(app: Awaited<ReturnType<typeof buildApp>>) {
  const r = await app.inject({ method: 'GET', url: '/ready' });
  return { status: r.statusCode, body: r.json() as ReadyBody };
}

describe('GET /ready', () => {
  it('embedded: ready when DuckDB answers; a failing or hung added check makes it 503 naming that check', async () => {
    const ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/e.duckdb`, DEMO_DATA: 'off' }));
    const app = await buildApp(ctx);
    try {
      const ok = await ready(app);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'ready', failing: [] });
      expect(ok.body.checks.map((c) => [c.name, c.ok])).toEqual([['duckdb', true]]);

      // how the job queue plugs in when REDIS_URL is set: a check of its own on the context
      ctx.readiness.push({
        name: 'queue',
        check: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390')),
      });
      const down = await ready(app);
      expect(down.status).toBe(503);
      expect(down.body.status).toBe('not_ready');
      expect(down.body.failing).toEqual(['queue']);
      expect(down.body.checks.find((c) => c.name === 'queue')).toMatchObject({
        ok: false,
        error: 'connect ECONNREFUSED 127.0.0.1:6390',
      });
      expect(down.body.checks.find((c) => c.name === 'duckdb')?.ok).toBe(true);

      // a dependency that never answers fails its check in bounded time instead of hanging /ready
      ctx.readiness.splice(1, 1, { name: 'queue', check: () => new Promise(() => {}) });
      const t0 = Date.now();
      const hung = await ready(app);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(hung.status).toBe(503);
      expect(hung.body.checks.find((c) => c.name === 'queue')?.error).toMatch(/no answer in \d+ ms/);
      // liveness is another question: /health does not run readiness checks
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await ctx.close();
    }
  });

  it('MySQL: not ready until the mirror has synced once, then ready; not ready when MySQL is gone', async () => {
    const db = await createTestDatabase('ready');
    const config = loadConfig({
      DUCKDB_PATH: `${tmp.dir}/m.duckdb`,
      AUTH: 'off',
      MYSQL_URL: db.url,
      DEMO_DATA: 'off',
    });
    const ctx = await openContext(config, { mirrorLoop: false });
    const app = await buildApp(ctx);
    try {
      const before = await ready(app);
      expect(before.status).toBe(503);
      expect(before.body.failing).toEqual(['mirror']);
      expect(before.body.checks.find((c) => c.name === 'mirror')?.error).toBe('no sync has completed yet');
      expect(before.body.checks.filter((c) => c.ok).map((c) => c.name)).toEqual(['duckdb', 'mysql']);

      await ctx.syncMirror();
      const after = await ready(app);
      expect(after.status).toBe(200);
      expect(after.body.checks.map((c) => [c.name, c.ok])).toEqual([
        ['duckdb', true],
        ['mysql', true],
        ['mirror', true],
      ]);

      await ctx.mysql!.pool.end(); // MySQL out of reach for this replica
      const gone = await ready(app);
      expect(gone.status).toBe(503);
      expect(gone.body.failing).toEqual(expect.arrayContaining(['mysql', 'mirror']));
      expect(gone.body.failing).not.toContain('duckdb');
    } finally {
      await app.close();
      await ctx.close().catch(() => undefined); // its MySQL pool is already closed
      await db.drop();
    }
  });
});
