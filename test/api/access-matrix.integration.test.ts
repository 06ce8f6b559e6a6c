/**
 * The access matrix, generated from the routes themselves (`app.declaredRoutes`, api/auth/guard.ts), not
 * from a hand-picked list: for every route that needs a workspace permission, on a server with AUTH=on
 * and two workspaces holding data of their own,
 * - no credentials (and a forged key) → 401;
 * - a key of the other workspace naming this one → 404, and the answer names nothing of this workspace's data;
 * - every role of this workspace that the route's permission does not allow → 403;
 * - every role it allows gets past the guard (neither 401 nor 403);
 * and every read route, called by the other workspace on itself, answers without a trace of this one
 * (its benchmark, model, item, metadata and response texts), exports included. A new route joins the
 * matrix by being registered.
 */

import type { FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type Permission, ROLES, type Role } from '../../accounts/roles.ts';
import type { AuditActor, Workspace } from '../../accounts/types.ts';
import { buildApp } from '../../api/app.ts';
import type { DeclaredRoute } from '../../api/auth/guard.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { createTestDatabase, TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const BY: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: null,
  address: 'test',
};

/** Every text of workspace A's data carries this marker; nothing of B's does. */
const SECRET = 'zz_secret_a';

/** `n` items answered by two models, texts of workspace `tag`. */
const fileOf = (bench: string, models: [string, string], tag: string, n = 6) =>
  `${models
    .flatMap((model, m) =>
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({
          benchmark: bench,
          model,
          item_id: `${tag}_q${i}`,
          correct: (i + m) % 3 !== 0,
          score: ((i + m) % 5) / 4,
          latency_ms: 100 + i,
          metadata: { topic: `${tag}_topic_${i % 2}` },
          input: `${tag} question ${i}`,
          reference: `${tag} answer ${i}`,
          response: `${tag} says ${i}`,
        }),
      ),
    )
    .join('\n')}\n`;

const A = { bench: `${SECRET}_bench`, models: [`${SECRET}_m1`, `${SECRET}_m2`] as [string, string] };
const B = { bench: 'bench_b', models: ['model_b1', 'model_b2'] as [string, string] };

/** Bodies and queries that make B's read routes answer with data (unknown routes get none: a 400 is fine). */
const readBodies = (b: typeof B): Record<string, unknown[]> => {
  const analysis = { benchmark: b.bench, levels: ['topic'] };
  const compare = { benchmark: b.bench, models: b.models };
  return {
    'POST /analysis': [analysis],
    'POST /compare': [compare],
    'POST /compare/items': [compare],
    'POST /exports': [
      { kind: 'results', format: 'csv', query: { benchmark: b.bench } },
      { kind: 'analysis', format: 'csv', query: analysis },
      { kind: 'compare', format: 'csv', query: compare },
      { kind: 'analysis', format: 'parquet', query: analysis },
    ],
  };
};

describe.each([
  { engine: 'duckdb', mysql: false },
  { engine: 'mysql', mysql: true },
])('access matrix over every declared route on $engine (AUTH=on, two workspaces)', ({ mysql: useMysql }) => {
  const tmp = tmpDir('evalhouse-matrix-');
  let db = null as Awaited<ReturnType<typeof createTestDatabase>> | null;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let app: FastifyInstance;
  let wa: Workspace;
  let wb: Workspace;
  /** keys[workspace slug][role] */
  const keys: Record<string, Record<Role, string>> = {};
  const ids: Record<string, { runId: number; userId: number; keyId: number }> = {};

  const call = (
    method: string,
    url: string,
    opts: { token?: string; workspace?: string; body?: unknown } = {},
  ) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.workspace ? { 'x-evalhouse-workspace': opts.workspace } : {}),
      },
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });

  beforeAll(async () => {
    db = useMysql ? await createTestDatabase('matrix') : null;
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/m.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'on',
        RATE_LIMIT_PER_MIN: '100000',
        MYSQL_URL: db?.url,
      }),
      { mirrorLoop: false },
    );
    workspaces = new Workspaces(ctx, { mirrorLoop: false });
    const accounts = ctx.accounts!;
    // A is `default`, the root context's own database: a route that skipped the scope would show it to B
    wa = (await accounts.getWorkspace('default'))!;
    wb = await accounts.createWorkspace('ws-b', 'B', BY);
    for (const ws of [wa, wb]) {
      keys[ws.slug] = {} as Record<Role, string>;
      for (const role of ROLES) {
        const user = await accounts.createUser({ email: `${role}@${ws.slug}.test` }, BY);
        await accounts.setMembership(user.id, ws.id, role, BY);
        const made = await accounts.createKey(
          { userId: user.id, workspaceId: ws.id, role, name: `${role} key`, expiresAt: null },
          BY,
        );
        keys[ws.slug]![role] = made.token;
        if (role === 'viewer') ids[ws.slug] = { runId: 0, userId: user.id, keyId: made.key.id };
      }
    }
    app = await buildApp(ctx, { workspaces });
    for (const [ws, d, tag] of [
      [wa, A, SECRET],
      [wb, B, 'b'],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/imports?filename=f.jsonl',
        headers: {
          authorization: `Bearer ${keys[ws.slug]!.editor}`,
          'x-evalhouse-workspace': ws.slug,
          'content-type': 'application/x-ndjson',
        },
        payload: fileOf(d.bench, d.models, tag),
      });
      expect(res.statusCode, res.body).toBe(200);
      const runs = await call('GET', '/runs', { token: keys[ws.slug]!.viewer, workspace: ws.slug });
      expect(runs.statusCode, runs.body).toBe(200);
      ids[ws.slug]!.runId = runs.json().runs[0].id;
    }
  });

  afterAll(async () => {
    await app?.close();
    await workspaces?.close();
    await ctx?.close();
    if (db) {
      const c = await mysql.createConnection(TEST_MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${db.name}_ws${wb.id}\``);
      await c.end();
      await db.drop();
    }
    tmp.cleanup();
  });

  /** The routes a workspace permission guards (HEAD twins of GET routes left out). */
  const guarded = () =>
    app.declaredRoutes.filter(
      (r): r is DeclaredRoute & { permission: Permission } =>
        r.method !== 'HEAD' && r.permission !== 'public' && r.permission !== 'signed-in',
    );

  /** The route's URL with its parameters filled; `target` names resources of that workspace. */
  const urlOf = (r: DeclaredRoute, target: 'a' | 'b' | 'missing'): string => {
    const d = target === 'b' ? B : A;
    const tag = target === 'b' ? 'b' : SECRET;
    const own = target === 'b' ? ids[wb.slug]! : ids[wa.slug]!;
    return r.url.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
      if (target === 'missing') return name === 'benchmark' ? 'no_such_bench' : '999999';
      if (name === 'benchmark') return encodeURIComponent(d.bench);
      if (name === 'item') return encodeURIComponent(`${tag}_q0`);
      if (name === 'userId') return String(own.userId);
      if (name === 'id' && r.url.startsWith('/keys')) return String(own.keyId);
      return String(own.runId);
    });
  };

  it('the matrix covers the API: reads, writes and admin routes are all declared', () => {
    const count = (p: Permission) => guarded().filter((r) => r.permission === p).length;
    expect(count('read')).toBeGreaterThanOrEqual(10);
    expect(count('write')).toBeGreaterThanOrEqual(3);
    expect(count('admin')).toBeGreaterThanOrEqual(4);
    const urls = guarded().map((r) => `${r.method} ${r.url}`);
    for (const must of ['POST /analysis', 'POST /imports', 'POST /exports', 'GET /audit', 'PUT /members'])
      expect(urls).toContain(must);
  });

  it('401 without credentials and with a forged or revoked-looking key, on every guarded route', async () => {
    for (const r of guarded()) {
      for (const token of [undefined, 'ehk_forged_0000000000000000000000000000000000000', 'garbage']) {
        const res = await call(r.method, urlOf(r, 'a'), { token, workspace: wa.slug, body: {} });
        expect(res.statusCode, `${r.method} ${r.url} token=${token}`).toBe(401);
        expect(res.json().error).toBe('UNAUTHENTICATED');
      }
    }
  });

  it("404 for a key of the other workspace, whatever its role, naming nothing of the workspace's data", async () => {
    for (const r of guarded()) {
      for (const role of ROLES) {
        const res = await call(r.method, urlOf(r, 'a'), {
          token: keys[wb.slug]![role],
          workspace: wa.slug,
          body: {},
        });
        expect(res.statusCode, `${r.method} ${r.url} as ${role} of B`).toBe(404);
        expect(res.json().error).toBe('NOT_FOUND');
        expect(res.body).not.toContain(SECRET);
      }
    }
  });

  it('403 for every role the permission does not allow, and past the guard for every role it allows', async () => {
    let refused = 0;
    for (const r of guarded()) {
      for (const role of ROLES) {
        // a role that passes gets a request for nothing that exists: no route deletes or changes A's data here
        const res = await call(r.method, urlOf(r, allows(role, r.permission) ? 'missing' : 'a'), {
          token: keys[wa.slug]![role],
          workspace: wa.slug,
          body: {},
        });
        const where = `${r.method} ${r.url} as ${role} (needs ${r.permission}): ${res.body.slice(0, 200)}`;
        if (allows(role, r.permission)) {
          expect(res.statusCode, where).not.toBe(401);
          expect(res.statusCode, where).not.toBe(403);
        } else {
          expect(res.statusCode, where).toBe(403);
          expect(res.json()).toMatchObject({ error: 'FORBIDDEN', details: { role, needs: r.permission } });
          refused++;
        }
      }
    }
    // viewer on every write and admin route, editor on every admin route
    const g = guarded();
    expect(refused).toBe(
      g.filter((r) => r.permission === 'write').length + 2 * g.filter((r) => r.permission === 'admin').length,
    );
  });

  it("the other workspace's reads and exports of its own data show nothing of this one", async () => {
    const bodies = readBodies(B);
    const reads = app.declaredRoutes.filter(
      (r) =>
        r.method !== 'HEAD' &&
        (r.permission === 'read' || r.permission === 'signed-in' || r.permission === 'admin'),
    );
    let answered = 0;
    for (const r of reads) {
      if (r.method !== 'GET' && !bodies[`${r.method} ${r.url}`]) continue; // a write: nothing to read
      for (const body of bodies[`${r.method} ${r.url}`] ?? [undefined]) {
        const query = r.url === '/analysis/summary' || r.url === '/trends' ? `?benchmark=${B.bench}` : '';
        const res = await call(r.method, urlOf(r, 'b') + query, {
          token: keys[wb.slug]!.admin,
          workspace: wb.slug,
          body,
        });
        const where = `${r.method} ${r.url} ${JSON.stringify(body ?? '')}`;
        // 503: a route this mode does not serve (schedules without queue mode) says so; never a 500
        expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).not.toBe(500);
        expect(res.rawPayload.includes(SECRET), where).toBe(false);
        if (res.statusCode === 200) answered++;
      }
    }
    // not vacuous: most reads answered with B's data (those needing other parameters may say 400)
    expect(answered).toBeGreaterThanOrEqual(15);
    // and A's own admin does see A's data through the same routes
    const own = await call('POST', '/analysis', {
      token: keys[wa.slug]!.viewer,
      workspace: wa.slug,
      body: { benchmark: A.bench, levels: ['topic'] },
    });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.body).toContain(`${SECRET}_topic_0`);
  });
});
