import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE } from '../../accounts/roles.ts';
import { type AuthTestApp, authTestApp, Browser, CLI } from './auth-app.ts';

const PASSWORD = 'correct horse battery staple';

async function seedUser(t: AuthTestApp, email: string, role: 'viewer' | 'editor' | 'admin' = 'editor') {
  const user = await t.accounts.createUser({ email, name: 'Ada', password: PASSWORD }, CLI);
  const ws = await t.accounts.getWorkspace(DEFAULT_WORKSPACE);
  await t.accounts.setMembership(user.id, ws!.id, role, CLI);
  return user;
}

/** Fails when an answer or a log line holds one of the secrets. */
function expectNoSecret(haystacks: string[], secrets: (string | undefined)[]) {
  for (const s of secrets.filter((x): x is string => !!x && x.length >= 6))
    for (const h of haystacks)
      expect(h.includes(s), `a secret (${s.slice(0, 6)}…) leaked into: ${h.slice(0, 300)}`).toBe(false);
}

describe.each(['duckdb', 'mysql'] as const)('sessions on %s', (engine) => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await authTestApp({}, engine);
    await seedUser(t, 'ada@example.com');
  }, 60_000);
  afterAll(async () => t?.close());

  it('a sign-in whose entry cannot be written opens no session', async () => {
    const families = async () => Number((await t.raw('SELECT COUNT(*) AS n FROM session_families'))[0]!.n);
    const before = await families();
    const signIns = (await t.accounts.audit.list({ action: 'auth.sign_in' })).length;
    const [head] = await t.raw("SELECT value FROM settings WHERE name = 'audit_head'");
    // the chain's head gone: every audit insert fails
    await t.raw("DELETE FROM settings WHERE name = 'audit_head'");
    const b = new Browser(t.url);
    try {
      const res = await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
      expect(res.status).toBe(500);
      expect(b.jar.size).toBe(0);
      expect(await families()).toBe(before);
    } finally {
      await t.raw("INSERT INTO settings (name, value) VALUES ('audit_head', ?)", [head!.value]);
    }
    const ok = await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(await families()).toBe(before + 1);
    expect((await t.accounts.audit.list({ action: 'auth.sign_in' })).length).toBe(signIns + 1);
    expect((await t.accounts.audit.verify()).ok).toBe(true);
  });

  it('GET /auth/providers says what is on', async () => {
    const res = await new Browser(t.url).fetch('/auth/providers');
    expect(await res.json()).toEqual({ auth: true, password: true, google: false, github: false });
  });

  it('password login: wrong password and unknown email get the same 401; the right one signs in', async () => {
    const b = new Browser(t.url);
    const wrong = await b.json('/auth/login', { email: 'ada@example.com', password: 'nope-nope' });
    const unknown = await b.json('/auth/login', { email: 'nobody@example.com', password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(b.jar.size).toBe(0);
    expect((await b.fetch('/probe/me')).status).toBe(401);

    const ok = await b.json('/auth/login', { email: ' Ada@Example.com ', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ user: { email: 'ada@example.com', name: 'Ada' } });
    const cookies = ok.headers.getSetCookie();
    for (const name of ['__Host-eh_access', '__Host-eh_refresh']) {
      const c = cookies.find((x) => x.startsWith(`${name}=`))!;
      expect(c).toMatch(/; HttpOnly/i);
      expect(c).toMatch(/; Secure/i);
      expect(c).toMatch(/; SameSite=Lax/i);
      expect(c).toMatch(/; Path=\//);
      expect(c).not.toMatch(/Domain=/i);
    }
    expect(cookies.find((x) => x.startsWith('__Host-eh_csrf='))).not.toMatch(/HttpOnly/i);
    expect(await (await b.fetch('/probe/me')).json()).toEqual({ kind: 'session', user: 'ada@example.com' });

    const audit = await t.accounts.audit.list({ action: 'auth.sign_in_failed' });
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit.every((e) => e.address === '127.0.0.1' && e.requestId)).toBe(true);
    const signIns = await t.accounts.audit.list({ action: 'auth.sign_in' });
    expect(signIns[0]).toMatchObject({
      resource: expect.stringMatching(/^user:/),
      after: { method: 'password' },
    });
    expectNoSecret(
      [...b.seen, ...t.logs, JSON.stringify(audit), JSON.stringify(signIns)],
      [
        PASSWORD,
        'nope-nope',
        b.jar.get('__Host-eh_access'),
        b.jar.get('__Host-eh_refresh'),
        await t.accounts.secret(),
      ],
    );
  });

  it('CSRF: a cookie write without or with a wrong x-csrf-token is 403, with the token it passes', async () => {
    const b = new Browser(t.url);
    await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    const none = await b.fetch('/probe/write', { method: 'POST' });
    expect(none.status).toBe(403);
    expect(((await none.json()) as { message: string }).message).toMatch(/x-csrf-token/);
    const wrong = await b.fetch('/probe/write', {
      method: 'POST',
      headers: { 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrong.status).toBe(403);
    const ok = await b.fetch('/probe/write', { method: 'POST', csrf: true });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, workspace: 'default' });
  });

  it('a tampered or forged access cookie is 401', async () => {
    const b = new Browser(t.url);
    await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    const token = b.jar.get('__Host-eh_access')!;
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    b.jar.set(
      '__Host-eh_access',
      `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: '999' })).toString('base64url')}.${s}`,
    );
    expect((await b.fetch('/probe/me')).status).toBe(401);
    b.jar.set('__Host-eh_access', `${token.slice(0, -3)}abc`);
    expect((await b.fetch('/probe/me')).status).toBe(401);
    b.jar.set('__Host-eh_access', 'garbage');
    expect((await b.fetch('/probe/me')).status).toBe(401);
  });

  it('refresh rotates; the old refresh token reused revokes the family: the new tokens stop working too', async () => {
    const b = new Browser(t.url);
    await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    const first = b.jar.get('__Host-eh_refresh')!;
    const csrf = b.jar.get('__Host-eh_csrf');
    const r1 = await b.fetch('/auth/refresh', { method: 'POST', csrf: true });
    expect(r1.status).toBe(200);
    const second = b.jar.get('__Host-eh_refresh')!;
    expect(second).not.toBe(first);
    expect(b.jar.get('__Host-eh_csrf')).toBe(csrf); // kept: a write sent meanwhile still matches
    expect((await b.fetch('/probe/me')).status).toBe(200);

    // a thief replays the first token
    const thief = new Browser(t.url);
    thief.jar.set('__Host-eh_refresh', first);
    thief.jar.set('__Host-eh_csrf', 'c'.repeat(43));
    const replay = await thief.fetch('/auth/refresh', { method: 'POST', csrf: true });
    expect(replay.status).toBe(401);
    expect(thief.jar.has('__Host-eh_refresh')).toBe(false);
    // the whole family is ended: the legitimate access and refresh tokens too
    expect((await b.fetch('/probe/me')).status).toBe(401);
    expect((await b.fetch('/auth/refresh', { method: 'POST', csrf: true })).status).toBe(401);
    expect((await t.accounts.audit.list({ action: 'auth.refresh_reuse' })).length).toBeGreaterThanOrEqual(1);
  });

  it('refresh without a cookie, or with an unknown one, is 401', async () => {
    const b = new Browser(t.url);
    expect((await b.fetch('/auth/refresh', { method: 'POST' })).status).toBe(401);
    b.jar.set('__Host-eh_refresh', 'ehr_unknown');
    b.jar.set('__Host-eh_csrf', 'c'.repeat(43));
    expect((await b.fetch('/auth/refresh', { method: 'POST', csrf: true })).status).toBe(401);
  });

  it('logout revokes the session, clears the cookies and is audited', async () => {
    const b = new Browser(t.url);
    await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    const stolen = new Map(b.jar);
    expect((await b.fetch('/auth/logout', { method: 'POST' })).status).toBe(403); // no CSRF token
    const out = await b.fetch('/auth/logout', { method: 'POST', csrf: true });
    expect(out.status).toBe(204);
    expect(b.jar.size).toBe(0);
    // a copy of the cookies taken before logout is worth nothing
    const copy = new Browser(t.url);
    for (const [k, v] of stolen) copy.jar.set(k, v);
    expect((await copy.fetch('/probe/me')).status).toBe(401);
    expect((await copy.fetch('/auth/refresh', { method: 'POST', csrf: true })).status).toBe(401);
    expect((await t.accounts.audit.list({ action: 'auth.sign_out' })).length).toBeGreaterThanOrEqual(1);
  });

  it('a Bearer API key needs no CSRF token; a bad Bearer is 401 whatever the cookies', async () => {
    const ada = (await t.accounts.findUserByEmail('ada@example.com'))!;
    const ws = (await t.accounts.getWorkspace(DEFAULT_WORKSPACE))!;
    const { token } = await t.accounts.createKey(
      { userId: ada.id, workspaceId: ws.id, role: 'editor', name: 'ci', expiresAt: null },
      CLI,
    );
    const b = new Browser(t.url);
    const res = await b.fetch('/probe/write', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    await b.json('/auth/login', { email: 'ada@example.com', password: PASSWORD });
    const bad = await b.fetch('/probe/me', { headers: { authorization: 'Bearer ehk_nope' } });
    expect(bad.status).toBe(401);
    expectNoSecret([...b.seen, ...t.logs], [token]);
  });
});

describe('failed sign-ins are rate-limited per account and per address', () => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await authTestApp({ LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_S: '2' });
    await seedUser(t, 'bob@example.com');
  }, 60_000);
  afterAll(async () => t?.close());

  it('429 with Retry-After after the limit, even for the right password; allowed again after the window', async () => {
    const b = new Browser(t.url);
    for (let i = 0; i < 3; i++)
      expect((await b.json('/auth/login', { email: 'bob@example.com', password: `wrong-${i}` })).status).toBe(
        401,
      );
    const limited = await b.json('/auth/login', { email: 'bob@example.com', password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toBe('RATE_LIMITED');
    // the address is limited too, for any account
    expect((await b.json('/auth/login', { email: 'other@example.com', password: 'x' })).status).toBe(429);
    const audit = await t.accounts.audit.list({ action: 'auth.sign_in_failed' });
    expect(audit.some((e) => (e.after as { reason?: string }).reason === 'rate_limited')).toBe(true);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await b.json('/auth/login', { email: 'bob@example.com', password: PASSWORD })).status).toBe(200);
  });
});

describe('the per-principal request rate limit', () => {
  let t: AuthTestApp;
  beforeAll(async () => {
    t = await authTestApp({ RATE_LIMIT_PER_MIN: '5' });
    await seedUser(t, 'cy@example.com');
    await seedUser(t, 'di@example.com');
  }, 60_000);
  afterAll(async () => t?.close());

  it('counts per signed-in user, answers 429 RATE_LIMITED with Retry-After, and sets security headers', async () => {
    const cy = new Browser(t.url);
    const di = new Browser(t.url);
    await cy.json('/auth/login', { email: 'cy@example.com', password: PASSWORD });
    await di.json('/auth/login', { email: 'di@example.com', password: PASSWORD });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await cy.fetch('/probe/me')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const last = await cy.fetch('/probe/me');
    expect(last.status).toBe(429);
    expect(last.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await last.json()) as { error: string }).error).toBe('RATE_LIMITED');
    // another user from the same address has their own count
    const other = await di.fetch('/probe/me');
    expect(other.status).toBe(200);
    expect(other.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(other.headers.get('x-content-type-options')).toBe('nosniff');
    expect(other.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});
