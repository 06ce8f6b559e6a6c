/**
 * The account routes with auth on, called with API keys (Bearer) of each role made through the store: who
 * may manage members, keys and settings and read the audit log, in which workspace; the token shown once;
 * the last admin kept; the audit log's filters and paging against the entries this test made, over both
 * chains of a workspace. On the embedded DuckDB file and on MariaDB (databases t_adm_…, dropped after).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import type { Role } from '../../accounts/roles.ts';
import type { AccountStore, AuditActor, User, Workspace } from '../../accounts/types.ts';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { callAs, type Method, signInAs } from '../helpers/auth-calls.ts';
import { TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir('evalhouse-adm-');
afterAll(() => tmp.cleanup());
let ctx: AppContext;
let app: FastifyInstance;
let workspaces: Workspaces;
let accounts: AccountStore;
let defaultWs: Workspace;
let other: Workspace;
const users: Record<string, User> = {};
/** Bearer tokens: `admin`, `editor`, `viewer` of default; `otherAdmin` of the other workspace. */
const keys: Record<string, string> = {};
/** Signed-in sessions (POST /auth/login), by the same names: their cookie header and CSRF token. */
const sessions: Record<string, { cookie: string; csrf: string }> = {};
const PASSWORD = 'a long enough test password';

const SETUP: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: 'test-setup',
  address: null,
};

/** `who`: a key's name (Bearer), `session:<name>` (cookie and CSRF token), or null (no credentials). */
const call = (who: string | null, method: Method, url: string, body?: unknown, workspace?: string) =>
  callAs(
    app,
    who?.startsWith('session:') ? sessions[who.slice('session:'.length)]! : who ? { key: keys[who]! } : null,
    method,
    url,
    body,
    workspace,
  );

async function member(email: string, ws: Workspace, role: Role): Promise<User> {
  const u =
    (await accounts.findUserByEmail(email)) ??
    (await accounts.createUser({ email, password: PASSWORD }, SETUP));
  await accounts.setMembership(u.id, ws.id, role, SETUP);
  return u;
}

const signIn = (email: string) => signInAs(app, email, PASSWORD);

describe.each(['duckdb', 'mysql'] as const)('account routes on %s', (engine) => {
  let database: string | null = null;
  beforeAll(async () => {
    if (engine === 'mysql') {
      database = `t_adm_${randomBytes(4).toString('hex')}`;
      const conn = await mysql.createConnection(TEST_MYSQL_SERVER);
      await conn.query(`CREATE DATABASE \`${database}\``);
      await conn.end();
    }
    const config = loadConfig({
      DUCKDB_PATH: `${tmp.dir}/adm-${engine}.duckdb`,
      ...(database ? { MYSQL_URL: `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${database}` } : {}),
      DEMO_DATA: 'off',
      AUTH: 'on',
      AUTH_SECRET: 'a-test-secret-of-at-least-32-characters!!',
      RATE_LIMIT_PER_MIN: '100000',
    });
    ctx = await openContext(config, { mirrorLoop: false });
    accounts = ctx.accounts!;
    workspaces = new Workspaces(ctx, { mirrorLoop: false });
    app = await buildApp(ctx, { workspaces });
    defaultWs = (await accounts.getWorkspace('default'))!;
    other = await accounts.createWorkspace('other', 'Other team', SETUP);
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      users[role] = await member(`${role}@example.com`, defaultWs, role);
      keys[role] = (
        await accounts.createKey(
          { userId: users[role].id, workspaceId: defaultWs.id, role, name: role, expiresAt: null },
          SETUP,
        )
      ).token;
    }
    users.otherAdmin = await member('boss@other.example', other, 'admin');
    keys.otherAdmin = (
      await accounts.createKey(
        { userId: users.otherAdmin.id, workspaceId: other.id, role: 'admin', name: 'other', expiresAt: null },
        SETUP,
      )
    ).token;
    for (const role of ['admin', 'editor', 'viewer'] as const)
      sessions[role] = await signIn(`${role}@example.com`);
    sessions.otherAdmin = await signIn('boss@other.example');
  });

  afterAll(async () => {
    await app?.close();
    await workspaces?.close();
    await ctx?.close();
    if (database) {
      // the control database and every workspace's (<db>_ws<id>)
      const conn = await mysql.createConnection(TEST_MYSQL_SERVER);
      const [rows] = await conn.query('SHOW DATABASES LIKE ?', [`${database}%`]);
      for (const r of rows as Record<string, string>[])
        await conn.query(`DROP DATABASE \`${Object.values(r)[0]}\``);
      await conn.end();
    }
  });

  describe('who may call the account routes', () => {
    it('401 without credentials, for every one of them', async () => {
      for (const [m, u] of [
        ['GET', '/me'],
        ['GET', '/workspaces'],
        ['GET', '/members'],
        ['PUT', '/members'],
        ['DELETE', '/members/1'],
        ['GET', '/keys'],
        ['POST', '/keys'],
        ['DELETE', '/keys/1'],
        ['GET', '/audit'],
        ['GET', '/audit/verify'],
        ['PUT', '/settings'],
        ['POST', '/workspaces'],
      ] as [Method, string][]) {
        const r = await call(null, m, u, m === 'GET' || m === 'DELETE' ? undefined : {});
        expect(r.status, `${m} ${u}`).toBe(401);
        expect(r.body.error).toBe('UNAUTHENTICATED');
      }
    });

    it('GET /me says who the key is, its one workspace and role, and what each role allows', async () => {
      const r = await call('editor', 'GET', '/me');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        auth: true,
        principal: 'key',
        user: { id: users.editor!.id, email: 'editor@example.com' },
        key: { name: 'editor' },
        workspaces: [{ slug: 'default', role: 'editor', permissions: ['read', 'write'] }],
      });
      expect(r.body.roles.admin.permissions).toEqual(['read', 'write', 'admin']);
      expect(r.raw).not.toContain(keys.editor);
    });

    it('a viewer cannot manage members (403), an editor cannot read the audit log (403)', async () => {
      expect((await call('viewer', 'GET', '/members')).status).toBe(403);
      expect(
        (await call('viewer', 'PUT', '/members', { email: 'x@example.com', role: 'viewer' })).status,
      ).toBe(403);
      expect((await call('editor', 'DELETE', `/members/${users.viewer!.id}`)).status).toBe(403);
      const audit = await call('editor', 'GET', '/audit');
      expect(audit.status).toBe(403);
      expect(audit.body.error).toBe('FORBIDDEN');
      expect((await call('editor', 'GET', '/audit/verify')).status).toBe(403);
      expect((await call('editor', 'PUT', '/settings', { retention_days: 30 })).status).toBe(403);
    });

    it("a key of one workspace asking for another gets 404 (the other's existence is not revealed)", async () => {
      for (const [m, u] of [
        ['GET', '/members'],
        ['GET', '/keys'],
        ['GET', '/audit'],
        ['GET', '/audit/verify'],
      ] as [Method, string][]) {
        expect((await call('otherAdmin', m, u, undefined, 'default')).status, u).toBe(404);
        expect((await call('admin', m, u, undefined, 'other')).status, u).toBe(404);
        expect((await call('admin', m, `${u}?workspace=nonexistent`)).status, u).toBe(404);
      }
      // and its own workspace's answers hold nothing of the other's
      const mine = await call('otherAdmin', 'GET', '/members');
      expect(mine.status).toBe(200);
      expect(mine.raw).not.toContain('example.com"');
      expect((mine.body.members as { user: { email: string } }[]).map((m) => m.user.email)).toEqual([
        'boss@other.example',
      ]);
      const ws = await call('otherAdmin', 'GET', '/workspaces');
      expect((ws.body.workspaces as { slug: string }[]).map((w) => w.slug)).toEqual(['other']);
    });
  });

  describe('members', () => {
    it('an admin adds by email (a new user, 201), changes a role (200), removes (204)', async () => {
      const add = await call('admin', 'PUT', '/members', {
        email: ' New.Person@Example.com ',
        role: 'viewer',
        name: 'New Person',
      });
      expect(add.status).toBe(201);
      expect(add.body).toMatchObject({
        user: { email: 'new.person@example.com', name: 'New Person' },
        role: 'viewer',
      });
      const id = (add.body.user as { id: number }).id;
      const change = await call('admin', 'PUT', '/members', {
        email: 'new.person@example.com',
        role: 'editor',
      });
      expect(change.status).toBe(200);
      expect(change.body.role).toBe('editor');
      const list = await call('admin', 'GET', '/members');
      expect(
        (list.body.members as { user: { id: number }; role: string }[]).find((m) => m.user.id === id)?.role,
      ).toBe('editor');
      expect((await call('admin', 'DELETE', `/members/${id}`)).status).toBe(204);
      expect((await call('admin', 'DELETE', `/members/${id}`)).status).toBe(404);
      expect((await call('admin', 'PUT', '/members', { email: 'not-an-email', role: 'viewer' })).status).toBe(
        400,
      );
      expect((await call('admin', 'PUT', '/members', { email: 'a@b.example', role: 'owner' })).status).toBe(
        400,
      );
    });

    it('the last admin can be neither removed nor demoted (409)', async () => {
      const removed = await call('otherAdmin', 'DELETE', `/members/${users.otherAdmin!.id}`);
      expect(removed.status).toBe(409);
      expect(removed.body.error).toBe('CONFLICT');
      const demoted = await call('otherAdmin', 'PUT', '/members', {
        email: 'boss@other.example',
        role: 'editor',
      });
      expect(demoted.status).toBe(409);
      expect((await accounts.members(other.id)).map((m) => m.role)).toEqual(['admin']);
    });

    it("a removed member's keys of the workspace stop working", async () => {
      const u = await member('leaving@example.com', defaultWs, 'editor');
      const { token } = await accounts.createKey(
        { userId: u.id, workspaceId: defaultWs.id, role: 'editor', name: 'leaving', expiresAt: null },
        SETUP,
      );
      keys.leaving = token;
      expect((await call('leaving', 'GET', '/me')).status).toBe(200);
      expect((await call('admin', 'DELETE', `/members/${u.id}`)).status).toBe(204);
      expect((await call('leaving', 'GET', '/me')).status).toBe(401);
    });
  });

  describe('API keys', () => {
    it('the token appears once, in the answer of POST; GET /keys never shows it', async () => {
      const made = await call('session:editor', 'POST', '/keys', {
        name: 'ci',
        role: 'viewer',
        expires_in_days: 30,
      });
      expect(made.status).toBe(201);
      const token = made.body.token as string;
      expect(token).toMatch(/^ehk_/);
      const key = made.body.key as { id: number; prefix: string; expires_at: string; role: string };
      expect(token.startsWith(key.prefix)).toBe(true);
      expect(key.role).toBe('viewer');
      expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
      // it works, with its own role
      keys.ci = token;
      const me = await call('ci', 'GET', '/me');
      expect(me.body.workspaces).toEqual([
        { slug: 'default', name: 'Default', org: 'default', role: 'viewer', permissions: ['read'] },
      ]);
      for (const who of ['admin', 'editor', 'ci']) {
        const list = await call(who, 'GET', '/keys');
        expect(list.status).toBe(200);
        expect(list.raw).not.toContain(token);
        expect(list.raw).not.toContain(token.slice(key.prefix.length));
        expect(list.raw).not.toMatch(/hash/i);
      }
    });

    it('admins list every key of the workspace, others their own', async () => {
      const ids = async (who: string) =>
        ((await call(who, 'GET', '/keys')).body.keys as { created_by: { email: string } }[]).map(
          (k) => k.created_by.email,
        );
      expect(new Set(await ids('admin'))).toEqual(
        new Set(['admin@example.com', 'editor@example.com', 'viewer@example.com', 'leaving@example.com']),
      );
      expect(new Set(await ids('viewer'))).toEqual(new Set(['viewer@example.com']));
      expect(new Set(await ids('otherAdmin'))).toEqual(new Set(['boss@other.example']));
    });

    it("a role above the caller's is 403; a key cannot create keys (403)", async () => {
      const up = await call('session:viewer', 'POST', '/keys', { name: 'up', role: 'editor' });
      expect(up.status).toBe(403);
      expect(up.body.error).toBe('FORBIDDEN');
      expect(up.raw).not.toMatch(/ehk_/);
      expect((await call('session:editor', 'POST', '/keys', { name: 'up', role: 'admin' })).status).toBe(403);
      // a key never makes keys, whatever its role
      expect((await call('admin', 'POST', '/keys', { name: 'k', role: 'viewer' })).status).toBe(403);
      // a session's write without its CSRF token is refused
      const noCsrf = await app.inject({
        method: 'POST',
        url: '/keys',
        headers: { cookie: sessions.admin!.cookie },
        payload: { name: 'k', role: 'viewer' },
      });
      expect(noCsrf.statusCode).toBe(403);
      expect((await accounts.listKeys({ workspaceId: defaultWs.id })).map((k) => k.name)).not.toContain('k');
    });

    it("revoke: one's own, or any of the workspace's as admin; another workspace's is 404", async () => {
      const mine = await accounts.createKey(
        { userId: users.viewer!.id, workspaceId: defaultWs.id, role: 'viewer', name: 'v2', expiresAt: null },
        SETUP,
      );
      const theirs = await accounts.createKey(
        { userId: users.editor!.id, workspaceId: defaultWs.id, role: 'viewer', name: 'e2', expiresAt: null },
        SETUP,
      );
      expect((await call('viewer', 'DELETE', `/keys/${theirs.key.id}`)).status).toBe(403);
      const own = await call('viewer', 'DELETE', `/keys/${mine.key.id}`);
      expect(own.status).toBe(200);
      expect(own.body.revoked_at).not.toBeNull();
      expect((await call('otherAdmin', 'DELETE', `/keys/${theirs.key.id}`)).status).toBe(404);
      expect((await call('admin', 'DELETE', `/keys/${theirs.key.id}`)).status).toBe(200);
      expect((await call('admin', 'DELETE', '/keys/999999')).status).toBe(404);
    });
  });

  describe('settings and workspaces', () => {
    it('PUT /settings sets the retention of the request workspace only', async () => {
      const r = await call('otherAdmin', 'PUT', '/settings', { retention_days: 90 });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ slug: 'other', retention_days: 90 });
      expect((await accounts.getWorkspace('default'))?.retentionDays).toBeNull();
      expect((await call('otherAdmin', 'PUT', '/settings', { retention_days: 0 })).status).toBe(400);
      expect(
        (await call('otherAdmin', 'PUT', '/settings', { retention_days: null })).body.retention_days,
      ).toBeNull();
    });

    it('POST /workspaces: admins of default only, and not with a key; the creator becomes its admin', async () => {
      expect(
        (await call('session:otherAdmin', 'POST', '/workspaces', { slug: 'third', name: 'Third' })).status,
      ).toBe(403);
      expect(
        (await call('session:editor', 'POST', '/workspaces', { slug: 'third', name: 'Third' })).status,
      ).toBe(403);
      expect((await call('admin', 'POST', '/workspaces', { slug: 'third', name: 'Third' })).status).toBe(403);
      expect(
        (await call('session:admin', 'POST', '/workspaces', { slug: 'Bad Slug', name: 'x' })).status,
      ).toBe(400);
      const made = await call('session:admin', 'POST', '/workspaces', { slug: 'third', name: 'Third' });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ slug: 'third', name: 'Third', retention_days: null });
      expect(
        (await call('session:admin', 'POST', '/workspaces', { slug: 'third', name: 'Again' })).status,
      ).toBe(409);
      const mine = await call('session:admin', 'GET', '/workspaces');
      expect(mine.body.workspaces.map((w: { slug: string; role: string }) => `${w.slug}:${w.role}`)).toEqual([
        'default:admin',
        'third:admin',
      ]);
      // its members: the creator alone
      const members = await call('session:admin', 'GET', '/members', undefined, 'third');
      expect(members.body.members.map((m: { user: { email: string } }) => m.user.email)).toEqual([
        'admin@example.com',
      ]);
    });
  });

  describe('the audit log', () => {
    it('filters by action, user, resource and time, and pages newest first through every entry', async () => {
      const all = await accounts.audit.list({ workspaceId: defaultWs.id, limit: 1000 });
      expect(all.length).toBeGreaterThan(8);
      const page1 = await call('admin', 'GET', '/audit?limit=3');
      expect(page1.status).toBe(200);
      const seen: number[] = [];
      let next: string | null = null;
      let url = '/audit?limit=3';
      for (let i = 0; i < 100; i++) {
        const page = await call('admin', 'GET', url);
        const entries = page.body.entries as { id: number; database: string }[];
        expect(entries.length).toBeLessThanOrEqual(3);
        seen.push(...entries.map((e) => e.id));
        next = page.body.next as string | null;
        if (!next) break;
        url = `/audit?limit=3&before=${next}`;
      }
      expect(seen).toEqual(all.map((e) => e.id));
      // nothing of the other workspace
      const otherIds = new Set(
        (await accounts.audit.list({ workspaceId: other.id, limit: 1000 })).map((e) => e.id),
      );
      expect(seen.filter((id) => otherIds.has(id))).toEqual([]);

      const byAction = await call('admin', 'GET', '/audit?action=member.remove');
      const removes = byAction.body.entries as { action: string; resource: string }[];
      expect(removes.length).toBe(2);
      expect(removes.every((e) => e.action === 'member.remove')).toBe(true);

      const byUser = await call('admin', 'GET', `/audit?user=${encodeURIComponent('editor@example.com')}`);
      const made = byUser.body.entries as {
        action: string;
        actor: { email: string; role: string; key_id: number };
      }[];
      expect(made.map((e) => e.action)).toEqual(['key.create']);
      expect(made[0]?.actor.key_id).toBeNull();
      expect(made[0]?.actor).toMatchObject({ email: 'editor@example.com', role: 'editor' });
      expect((await call('admin', 'GET', `/audit?user=${users.editor!.id}`)).body.entries).toEqual(made);
      expect((await call('admin', 'GET', '/audit?user=nobody@example.com')).body.entries).toEqual([]);

      const byResource = await call('admin', 'GET', `/audit?resource=user:${users.viewer!.id}`);
      expect(
        (byResource.body.entries as { resource: string }[]).every(
          (e) => e.resource === `user:${users.viewer!.id}`,
        ),
      ).toBe(true);

      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      expect((await call('admin', 'GET', `/audit?from=${tomorrow}`)).body.entries).toEqual([]);
      const today = new Date().toISOString().slice(0, 10);
      const todays = await call('admin', 'GET', `/audit?from=${today}&to=${today}&limit=500`);
      expect((todays.body.entries as unknown[]).length).toBe(all.length);
      expect((await call('admin', 'GET', '/audit?from=yesterday')).status).toBe(400);
      expect((await call('admin', 'GET', '/audit?before=12')).status).toBe(400);
    });

    it("the request's entries name who, in which role, from where, and never a token or hash", async () => {
      const r = await call('admin', 'GET', '/audit?action=key.revoke&limit=1');
      const e = (r.body.entries as Record<string, unknown>[])[0]!;
      expect(e).toMatchObject({
        database: 'control',
        actor: { email: 'admin@example.com', role: 'admin', user_id: users.admin!.id },
        address: '127.0.0.1',
      });
      expect(e.request_id).toMatch(/./);
      expect(e).not.toHaveProperty('hash');
      expect(r.raw).not.toMatch(/"(prev_?)?hash"|token_hash|ehk_[A-Za-z0-9_-]{20}/);
    });

    it('GET /audit/verify: the chain is intact', async () => {
      const r = await call('admin', 'GET', '/audit/verify');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: true, chains: [{ database: 'control', firstBad: null }] });
      expect((r.body.chains as { checked: number }[])[0]?.checked).toBeGreaterThan(10);
    });

    it("another workspace: its control entries and its own database's log merged newest first, both chains verified", async () => {
      // data changes of the workspace (imports, audited in its own database) between account changes
      // (audited in the control database)
      const boss = {
        actor: {
          userId: users.otherAdmin!.id,
          email: 'boss@other.example',
          role: 'admin' as const,
          keyId: null,
        },
        requestId: null,
        address: null,
      };
      for (const run of [1, 2, 3]) {
        const res = await app.inject({
          method: 'POST',
          url: `/imports?filename=part${run}.jsonl`,
          headers: { authorization: `Bearer ${keys.otherAdmin}`, 'content-type': 'application/x-ndjson' },
          payload: JSON.stringify({ benchmark: 'wsbench', model: `m${run}`, item_id: 'q1', correct: true }),
        });
        expect(res.statusCode, res.body).toBe(200);
        await accounts.setRetention(other.id, run * 10, boss);
      }
      const own = await workspaces.context(other);
      expect(own).not.toBe(ctx);
      const log = new KyselyAuditLog(accountDb(own.mysql ?? own.duck));
      const control = await accounts.audit.list({ workspaceId: other.id, limit: 1000 });
      const data = await log.list({ limit: 1000 });
      const expected = [
        ...control.map((e) => ({ e, d: 'control' })),
        ...data.map((e) => ({ e, d: 'workspace' })),
      ]
        .sort((a, b) => (a.e.at === b.e.at ? (a.d === 'control' ? -1 : 1) : a.e.at > b.e.at ? -1 : 1))
        .map(({ e, d }) => `${d}:${e.id}`);
      for (const limit of [1, 2, 500]) {
        const seen: string[] = [];
        let url = `/audit?limit=${limit}`;
        for (let i = 0; i < 100; i++) {
          const page = await call('otherAdmin', 'GET', url);
          expect(page.status).toBe(200);
          seen.push(
            ...page.body.entries.map((e: { id: number; database: string }) => `${e.database}:${e.id}`),
          );
          if (!page.body.next) break;
          url = `/audit?limit=${limit}&before=${page.body.next}`;
        }
        expect(seen).toEqual(expected);
      }
      const imports = await call('otherAdmin', 'GET', '/audit?action=import.create');
      expect(
        imports.body.entries.map(
          (e: { database: string; resource: string }) => `${e.database} ${e.resource}`,
        ),
      ).toEqual([
        'workspace import:part3.jsonl',
        'workspace import:part2.jsonl',
        'workspace import:part1.jsonl',
      ]);
      expect(imports.body.entries[0].actor).toMatchObject({ email: 'boss@other.example', role: 'admin' });
      // default's log shows none of them
      const mine = await call('admin', 'GET', '/audit?action=import.create');
      expect(mine.body.entries).toEqual([]);
      const verify = await call('otherAdmin', 'GET', '/audit/verify');
      expect(verify.body).toMatchObject({
        ok: true,
        chains: [
          { database: 'control', firstBad: null },
          { database: 'workspace', checked: 3, firstBad: null },
        ],
      });
    });
  });
});
