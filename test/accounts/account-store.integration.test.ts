import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import type { AuditActor } from '../../accounts/types.ts';
import { AppError } from '../../core/errors.ts';
import { ENGINES, openEngine, type TestEngine } from './engines.ts';

const BY: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: 'req-1',
  address: '127.0.0.1',
};
const ACCOUNT_TABLES = [
  'workspaces',
  'users',
  'identities',
  'memberships',
  'api_keys',
  'session_families',
  'refresh_tokens',
  'settings',
  'audit_log',
];

/** Every row of the account tables as text: what a database dump of them holds. */
async function dump(e: TestEngine): Promise<string> {
  const parts: string[] = [];
  for (const t of ACCOUNT_TABLES) parts.push(JSON.stringify(await e.raw(`SELECT * FROM ${t}`)));
  return parts.join('\n');
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err) => (err instanceof AppError ? err.code : `not an AppError: ${(err as Error).message}`),
  );

describe.each(ENGINES)('KyselyAccountStore on %s', (engine) => {
  let e: TestEngine;
  let now = new Date('2026-01-10T12:00:00.000Z');
  let s: KyselyAccountStore;
  beforeAll(async () => {
    e = await openEngine(engine);
    s = new KyselyAccountStore(e.db, { auth: { secret: undefined, refreshTtlS: 3600 }, clock: () => now });
  });
  afterAll(async () => {
    await e?.close();
  });

  it('has the default workspace from the migration', async () => {
    const ws = await s.listWorkspaces();
    expect(ws.map((w) => w.slug)).toEqual(['default']);
    expect(await s.getWorkspace('default')).toMatchObject({ id: ws[0]!.id, retentionDays: null });
    expect(await s.getWorkspaceById(ws[0]!.id)).toMatchObject({ slug: 'default' });
  });

  it('creates workspaces; a duplicate or malformed slug is a 4xx and leaves no audit entry', async () => {
    const w = await s.createWorkspace('team-a', 'Team A', BY);
    expect(w).toMatchObject({ slug: 'team-a', name: 'Team A', retentionDays: null });
    const entries = (await s.audit.list({})).length;
    expect(await code(s.createWorkspace('team-a', 'again', BY))).toBe('CONFLICT');
    expect(await code(s.createWorkspace('Team_A', 'x', BY))).toBe('BAD_REQUEST');
    expect((await s.audit.list({})).length).toBe(entries);
    const r = await s.setRetention(w.id, 30, BY);
    expect(r.retentionDays).toBe(30);
    expect((await s.getWorkspace('team-a'))?.retentionDays).toBe(30);
    expect(await code(s.setRetention(w.id, -1, BY))).toBe('BAD_REQUEST');
    const [last] = await s.audit.list({ limit: 1 });
    expect(last).toMatchObject({
      action: 'workspace.retention',
      resource: 'workspace:team-a',
      workspaceId: w.id,
      before: { retentionDays: null },
      after: { retentionDays: 30 },
      requestId: 'req-1',
      address: '127.0.0.1',
    });
  });

  it('users: email lower-cased and unique, passwords argon2id, right/wrong/unknown', async () => {
    const u = await s.createUser({ email: '  Ada@Example.ORG ', name: 'Ada', password: 'correct horse' }, BY);
    expect(u).toMatchObject({ email: 'ada@example.org', name: 'Ada', disabled: false });
    expect(await code(s.createUser({ email: 'ADA@example.org' }, BY))).toBe('CONFLICT');
    expect(await code(s.createUser({ email: 'not-an-email' }, BY))).toBe('BAD_REQUEST');
    expect(await code(s.createUser({ email: 'b@x.org', password: 'short' }, BY))).toBe('BAD_REQUEST');
    const [row] = await e.raw('SELECT password_hash FROM users WHERE id = ?', [u.id]);
    expect(String(row!.password_hash)).toMatch(/^\$argon2id\$/);
    expect(await s.findUserByEmail('ADA@example.org')).toMatchObject({ id: u.id });
    expect(await s.getUser(u.id)).toMatchObject({ email: 'ada@example.org' });

    expect(await s.verifyPassword('ada@EXAMPLE.org', 'correct horse')).toMatchObject({ id: u.id });
    expect(await s.verifyPassword('ada@example.org', 'wrong horse')).toBeNull();
    // an unknown email spends a hash too: not answered much faster than a wrong password
    const t0 = performance.now();
    await s.verifyPassword('ada@example.org', 'wrong horse');
    const wrong = performance.now() - t0;
    const t1 = performance.now();
    expect(await s.verifyPassword('nobody@example.org', 'correct horse')).toBeNull();
    const unknown = performance.now() - t1;
    expect(unknown).toBeGreaterThan(wrong / 4);

    await s.setPassword(u.id, 'battery staple', BY);
    expect(await s.verifyPassword('ada@example.org', 'correct horse')).toBeNull();
    expect(await s.verifyPassword('ada@example.org', 'battery staple')).toMatchObject({ id: u.id });
    const entries = await s.audit.list({ resource: `user:${u.id}` });
    expect(entries.map((x) => x.action)).toEqual(['user.password', 'user.create']);
    // the audit entries say that a password was set, never what it is nor its hash
    expect(JSON.stringify(entries)).not.toMatch(/horse|staple|argon2/);
  });

  it('identities link a provider subject to one user', async () => {
    const u = (await s.findUserByEmail('ada@example.org'))!;
    expect(await s.findUserByIdentity('google', 'sub-1')).toBeNull();
    await s.linkIdentity('google', 'sub-1', u.id);
    await s.linkIdentity('google', 'sub-1', u.id); // again: nothing changes
    expect(await s.findUserByIdentity('google', 'sub-1')).toMatchObject({ id: u.id });
    expect(await s.findUserByIdentity('github', 'sub-1')).toBeNull();
    const other = await s.createUser({ email: 'other@example.org' }, BY);
    expect(await code(s.linkIdentity('google', 'sub-1', other.id))).toBe('CONFLICT');
  });

  it('memberships: add, change, remove, audited; the last admin stays', async () => {
    const ws = (await s.getWorkspace('team-a'))!;
    const ada = (await s.findUserByEmail('ada@example.org'))!;
    const other = (await s.findUserByEmail('other@example.org'))!;
    await s.setMembership(ada.id, ws.id, 'admin', BY);
    await s.setMembership(other.id, ws.id, 'viewer', BY);
    await s.setMembership(other.id, ws.id, 'viewer', BY); // unchanged: no entry
    await s.setMembership(other.id, ws.id, 'editor', BY);
    expect(await s.memberships(other.id)).toEqual([
      { workspace: { id: ws.id, slug: 'team-a', name: 'Team A' }, role: 'editor' },
    ]);
    expect((await s.members(ws.id)).map((m) => [m.user.email, m.role])).toEqual([
      ['ada@example.org', 'admin'],
      ['other@example.org', 'editor'],
    ]);
    expect(await code(s.setMembership(ada.id, ws.id, 'viewer', BY))).toBe('CONFLICT');
    expect(await code(s.setMembership(ada.id, ws.id, null, BY))).toBe('CONFLICT');
    expect(await code(s.setMembership(other.id, ws.id, 'owner' as never, BY))).toBe('BAD_REQUEST');
    expect(await code(s.setMembership(9999, ws.id, 'viewer', BY))).toBe('NOT_FOUND');
    await s.setMembership(other.id, ws.id, null, BY);
    expect(await s.memberships(other.id)).toEqual([]);
    const entries = await s.audit.list({ resource: `user:${other.id}`, workspaceId: ws.id });
    expect(entries.map((x) => [x.action, x.before, x.after])).toEqual([
      ['member.remove', { userId: other.id, email: 'other@example.org', role: 'editor' }, null],
      [
        'member.role',
        { userId: other.id, email: 'other@example.org', role: 'viewer' },
        { userId: other.id, email: 'other@example.org', role: 'editor' },
      ],
      ['member.add', null, { userId: other.id, email: 'other@example.org', role: 'viewer' }],
    ]);
  });

  it('two admins demoting each other at once leave one admin', async () => {
    const ws = await s.createWorkspace('pair', 'Pair', BY);
    const a = await s.createUser({ email: 'a@pair.org' }, BY);
    const b = await s.createUser({ email: 'b@pair.org' }, BY);
    await s.setMembership(a.id, ws.id, 'admin', BY);
    await s.setMembership(b.id, ws.id, 'admin', BY);
    const got = await Promise.all([
      code(s.setMembership(a.id, ws.id, 'viewer', BY)),
      code(s.setMembership(b.id, ws.id, 'viewer', BY)),
    ]);
    expect(got.sort()).toEqual(['CONFLICT', 'ok']);
    expect((await s.members(ws.id)).filter((m) => m.role === 'admin')).toHaveLength(1);
  });

  it('API keys: created → authenticated, last use stamped; wrong, expired and revoked keys refused; never stored', async () => {
    const ws = (await s.getWorkspace('team-a'))!;
    const ada = (await s.findUserByEmail('ada@example.org'))!;
    const { key, token } = await s.createKey(
      { userId: ada.id, workspaceId: ws.id, role: 'editor', name: 'ci', expiresAt: null },
      BY,
    );
    expect(token).toMatch(/^ehk_[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({
      name: 'ci',
      prefix: token.slice(0, 10),
      workspace: { id: ws.id, slug: 'team-a' },
      role: 'editor',
      createdBy: ada.id,
      lastUsedAt: null,
      revokedAt: null,
    });
    const got = await s.authenticateKey(token);
    expect(got?.key.id).toBe(key.id);
    expect(got?.user.email).toBe('ada@example.org');
    expect((await s.listKeys({ workspaceId: ws.id }))[0]?.lastUsedAt).toBe(now.toISOString());

    expect(await s.authenticateKey(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await s.authenticateKey('ehk_nothing')).toBeNull();
    expect(await s.authenticateKey('')).toBeNull();

    const soon = await s.createKey(
      {
        userId: ada.id,
        workspaceId: ws.id,
        role: 'viewer',
        name: 'short',
        expiresAt: new Date(now.getTime() + 60_000).toISOString(),
      },
      BY,
    );
    expect(await s.authenticateKey(soon.token)).not.toBeNull();
    now = new Date(now.getTime() + 120_000);
    expect(await s.authenticateKey(soon.token)).toBeNull(); // expired
    expect(await s.authenticateKey(token)).not.toBeNull();

    const revoked = await s.revokeKey(key.id, BY);
    expect(revoked?.revokedAt).toBe(now.toISOString());
    expect(await s.authenticateKey(token)).toBeNull();
    expect(await s.revokeKey(424242, BY)).toBeNull();
    expect((await s.listKeys({ userId: ada.id })).map((k) => k.name)).toEqual(['ci', 'short']);
    expect(await s.listKeys({ userId: 424242 })).toEqual([]);

    const entries = await s.audit.list({ workspaceId: ws.id, action: 'key.revoke' });
    expect(entries[0]).toMatchObject({ resource: `key:${key.id}`, after: { revokedAt: now.toISOString() } });
    const text = await dump(e);
    expect(text).not.toContain(token);
    expect(text).not.toContain(soon.token);
    expect(text).not.toContain(token.slice(4)); // nor its random part
  });

  it('refresh tokens rotate once; a reused one revokes the family', async () => {
    const ada = (await s.findUserByEmail('ada@example.org'))!;
    const sess = await s.createSession(ada.id, { address: '10.0.0.1', userAgent: 'test' });
    expect(sess.refreshToken).toMatch(/^ehr_/);
    expect(await s.sessionAlive(sess.family)).toBe(true);
    const r1 = await s.rotateRefresh(sess.refreshToken);
    if (!r1.ok) throw new Error(`rotation failed: ${r1.reason}`);
    expect(r1).toMatchObject({ userId: ada.id, family: sess.family, expiresAt: sess.expiresAt });
    expect(r1.refreshToken).not.toBe(sess.refreshToken);
    const r2 = await s.rotateRefresh(r1.refreshToken);
    expect(r2.ok).toBe(true);
    // the first token again: a replay, the whole family ends (the newest token too)
    expect(await s.rotateRefresh(sess.refreshToken)).toEqual({ ok: false, reason: 'reused' });
    expect(await s.sessionAlive(sess.family)).toBe(false);
    if (!r2.ok) throw new Error('unreachable');
    expect(await s.rotateRefresh(r2.refreshToken)).toEqual({ ok: false, reason: 'revoked' });
    expect(await s.rotateRefresh('ehr_unknown')).toEqual({ ok: false, reason: 'unknown' });
    expect(await s.rotateRefresh('garbage')).toEqual({ ok: false, reason: 'unknown' });

    const other = await s.createSession(ada.id, { address: null, userAgent: null });
    await s.revokeFamily(other.family);
    expect(await s.rotateRefresh(other.refreshToken)).toEqual({ ok: false, reason: 'revoked' });

    const late = await s.createSession(ada.id, { address: null, userAgent: null });
    now = new Date(now.getTime() + 3601_000);
    expect(await s.sessionAlive(late.family)).toBe(false);
    expect(await s.rotateRefresh(late.refreshToken)).toEqual({ ok: false, reason: 'expired' });
    const text = await dump(e);
    for (const t of [sess.refreshToken, r1.refreshToken, r2.refreshToken, late.refreshToken]) {
      expect(text).not.toContain(t);
    }
  });

  it('generates the secret once and keeps it; AUTH_SECRET wins', async () => {
    const a = await s.secret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    // another process (a second store over the same database) reads the same one, even racing
    const s2 = new KyselyAccountStore(e.db, { auth: { secret: undefined, refreshTtlS: 3600 } });
    expect(await s2.secret()).toBe(a);
    const rows = await e.raw("SELECT value FROM settings WHERE name = 'secret'");
    expect(rows).toHaveLength(1);
    const fixed = new KyselyAccountStore(e.db, { auth: { secret: 'from-env', refreshTtlS: 3600 } });
    expect(await fixed.secret()).toBe('from-env');
    // keys made under one secret are not recognised under another
    const ws = (await s.getWorkspace('default'))!;
    const ada = (await s.findUserByEmail('ada@example.org'))!;
    const { token } = await s.createKey(
      { userId: ada.id, workspaceId: ws.id, role: 'viewer', name: 'x', expiresAt: null },
      BY,
    );
    expect(await fixed.authenticateKey(token)).toBeNull();
    expect(await s2.authenticateKey(token)).not.toBeNull();
  });

  it('the audit chain of all of it verifies', async () => {
    const v = await s.audit.verify();
    expect(v).toMatchObject({ ok: true, firstBad: null });
    expect(v.checked).toBe((await s.audit.list({ limit: 1000 })).length);
    expect(v.checked).toBeGreaterThan(10);
  });
});

describe('the generated secret on a fresh database', () => {
  it.each(ENGINES)('is created once when several ask at once (%s)', async (engine) => {
    const e = await openEngine(engine);
    try {
      const stores = Array.from(
        { length: 5 },
        () => new KyselyAccountStore(e.db, { auth: { secret: undefined, refreshTtlS: 60 } }),
      );
      const got = await Promise.all(stores.map((x) => x.secret()));
      expect(new Set(got).size).toBe(1);
    } finally {
      await e.close();
    }
  });
});
