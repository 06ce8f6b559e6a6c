/**
 * The account pages in Chromium: with auth off (GET /me says `local`) no sign-in page and no user menu, and
 * the members, API keys and audit log pages render and act on the real API; the workspace switcher sends
 * the chosen workspace with every call. With auth on, a password sign-in through the sign-in page.
 */
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import type { AuditActor } from '../../accounts/types.ts';
import { loadConfig } from '../../core/config.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { api, axe, ensureBuilt, importTestData, launch, newPage, open, ready, shot } from './browser.ts';

type Server = Awaited<ReturnType<typeof startServer>>;
const tmp = tmpDir('evalhouse-ui-admin-');
let browser: Browser;
let off: Server;

beforeAll(async () => {
  ensureBuilt();
  [off, browser] = await Promise.all([
    startServer({ DUCKDB_PATH: join(tmp.dir, 'off.duckdb'), PORT: '0' }),
    launch(),
  ]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await off?.stop();
  tmp.cleanup();
});

interface Members {
  members: { user: { id: number; email: string }; role: string }[];
}
const headerOf = (r: Request, name: string) => r.headers()[name];

/** Sends what a page sends, from the test (no cookies: auth is off). */
async function send(base: string, method: string, path: string, body?: unknown, ws?: string) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(ws ? { 'x-evalhouse-workspace': ws } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

const settle = async (p: Page, fn: () => Promise<unknown>) => {
  await fn();
  await ready(p);
};

describe('with auth off', () => {
  it('no sign-in page nor user menu; members: add by email with a role, change it, remove', async () => {
    const { page: p, w } = await newPage(browser);
    await open(p, off.url, '#/members');
    expect(await p.locator('h1').textContent()).toBe('Members and roles');
    expect(await p.locator('#signin-email').count()).toBe(0);
    expect(await p.locator('#user-menu').count()).toBe(0);
    expect(await p.locator('#workspace-switch').inputValue()).toBe('default');
    // the admin pages are in the navigation of an admin
    const nav = await p.locator('#nav a').allTextContents();
    expect(nav).toEqual(expect.arrayContaining(['Members', 'API keys', 'Audit log']));

    await p.fill('#member-email', 'Grace@Example.com');
    await p.fill('#member-name', 'Grace');
    await p.selectOption('#member-role', 'editor');
    await p.click('#member-add');
    await p.waitForSelector('table.members tbody tr:has-text("grace@example.com")');
    let m = (await api<Members>(off.url, '/members')).members.find(
      (x) => x.user.email === 'grace@example.com',
    )!;
    expect(m.role).toBe('editor');
    const row = `table.members tr[data-user-id="${m.user.id}"]`;
    expect(await p.locator(`${row} select`).inputValue()).toBe('editor');

    await p.selectOption(`#role-${m.user.id}`, 'viewer');
    await p.waitForSelector('.member-status :text("is now viewer")');
    m = (await api<Members>(off.url, '/members')).members.find((x) => x.user.email === 'grace@example.com')!;
    expect(m.role).toBe('viewer');

    await p.click(`#remove-${m.user.id}`);
    await p.click(`#remove-yes-${m.user.id}`);
    await p.waitForSelector(`${row}`, { state: 'detached' });
    expect((await api<Members>(off.url, '/members')).members.map((x) => x.user.email)).not.toContain(
      'grace@example.com',
    );
    // every write named the workspace
    const writes = w.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/members'));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /members',
      'PUT /members',
      `DELETE /members/${m.user.id}`,
    ]);
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'members');
    await p.close();
  });

  it('API keys: create (the token shown once, with a copy button), listed without it, revoke', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: off.url });
    const p = await ctx.newPage();
    const problems: string[] = [];
    p.on('pageerror', (e) => problems.push(e.message));
    p.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await open(p, off.url, '#/keys');
    expect(await p.locator('.keys-list').textContent()).toContain('No API keys');
    await p.fill('#key-name', 'nightly import');
    await p.selectOption('#key-role', 'editor');
    await p.fill('#key-days', '7');
    await p.click('#key-create');
    await p.waitForSelector('#new-key-token');
    const token = await p.locator('#new-key-token').inputValue();
    expect(token).toMatch(/^ehk_/);
    await p.click('#new-key-copy');
    await p.waitForSelector('#new-key-copied:text("Copied.")');
    expect(await p.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await p.waitForSelector('table.keys tbody tr');
    const listed = await api<{ keys: { id: number; name: string; role: string; prefix: string }[] }>(
      off.url,
      '/keys',
    );
    expect(JSON.stringify(listed)).not.toContain(token);
    const k = listed.keys.find((x) => x.name === 'nightly import')!;
    expect(k.role).toBe('editor');
    expect(await p.locator(`tr[data-key-id="${k.id}"]`).textContent()).toContain(k.prefix);
    // the token is not in the page once it is left
    await p.reload();
    await ready(p);
    expect(await p.content()).not.toContain(token);
    await p.click(`#revoke-${k.id}`);
    await p.waitForSelector(`tr[data-key-id="${k.id}"] :text("revoked")`);
    expect(problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'keys');
    await ctx.close();
  });

  it('audit log: the entries of the changes above, filtered by action and user, paged, chain verified', async () => {
    // more entries than a page holds: 30 members added and removed
    for (let i = 0; i < 30; i++) {
      const m = (await send(off.url, 'PUT', '/members', {
        email: `bulk${i}@example.com`,
        role: 'viewer',
      })) as {
        user: { id: number };
      };
      await send(off.url, 'DELETE', `/members/${m.user.id}`);
    }
    // and a data change: an import, audited in the same log
    await importTestData(
      off.url,
      'audited.jsonl',
      JSON.stringify({ benchmark: 'auditbench', model: 'm', item_id: 'q1', correct: true }),
    );
    const { page: p, w } = await newPage(browser);
    await open(p, off.url, '#/audit');
    const actions = async () =>
      p
        .locator('table.audit tbody tr')
        .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.action));
    const first = await actions();
    expect(first.length).toBe(50);
    const all = await api<{ entries: { action: string }[]; next: string | null }>(off.url, '/audit?limit=50');
    expect(first).toEqual(all.entries.map((e) => e.action));
    // the next page continues where the first ended
    await settle(p, () => p.click('#audit-older'));
    const second = await api<{ entries: { action: string }[] }>(
      off.url,
      `/audit?limit=50&before=${all.next}`,
    );
    expect(await actions()).toEqual(second.entries.map((e) => e.action));
    await settle(p, () => p.click('#audit-newest'));
    expect(await actions()).toEqual(first);

    await p.fill('#audit-action', 'key.create');
    await settle(p, () => p.click('#audit-apply'));
    expect(await actions()).toEqual(['key.create']);
    expect(p.url()).toContain('action=key.create');
    // the key was made by the local user (auth off)
    expect(await p.locator('table.audit tbody tr').first().textContent()).toContain('local user');

    await p.fill('#audit-action', 'import.create');
    await settle(p, () => p.click('#audit-apply'));
    expect(await actions()).toEqual(['import.create']);
    expect(await p.locator('table.audit tbody tr').first().textContent()).toContain('import:audited.jsonl');

    await p.fill('#audit-action', '');
    await p.fill('#audit-user', 'nobody@example.com');
    await settle(p, () => p.click('#audit-apply'));
    expect(await p.locator('.audit-list').textContent()).toContain('No entry matches');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await open(p, off.url, `#/audit?from=${tomorrow}`);
    expect(await p.locator('#audit-from').inputValue()).toBe(tomorrow);
    expect(await p.locator('.audit-list').textContent()).toContain('No entry matches');

    await open(p, off.url, '#/audit');
    await p.click('#audit-verify');
    await p.waitForSelector('#audit-verify-result :text("intact")');
    expect(await p.locator('#audit-verify-result').textContent()).toContain('The audit chain is intact');
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'audit');
    await p.close();
  });

  it('the workspace switcher: every call then names the chosen workspace, remembered across visits', async () => {
    await send(off.url, 'POST', '/workspaces', { slug: 'team-b', name: 'Team B' });
    await send(off.url, 'PUT', '/members', { email: 'only-in-b@example.com', role: 'editor' }, 'team-b');
    const { page: p, w } = await newPage(browser);
    const named: (string | undefined)[] = [];
    p.on('request', (r) => {
      if (new URL(r.url()).pathname === '/members') named.push(headerOf(r, 'x-evalhouse-workspace'));
    });
    await open(p, off.url, '#/members');
    expect(await p.locator('#workspace-switch option').allTextContents()).toEqual([
      'Default (admin)',
      'Team B (admin)',
    ]);
    expect(await p.locator('.members-list').textContent()).not.toContain('only-in-b@example.com');
    await p.selectOption('#workspace-switch', 'team-b');
    await p.waitForSelector('table.members :text("only-in-b@example.com")');
    await ready(p);
    expect(named).toEqual(['default', 'team-b']);
    await p.reload();
    await ready(p);
    expect(await p.locator('#workspace-switch').inputValue()).toBe('team-b');
    expect(await p.locator('table.members').textContent()).toContain('only-in-b@example.com');
    // back to default for the other tests' pages
    await p.selectOption('#workspace-switch', 'default');
    await ready(p);
    expect(w.problems).toEqual([]);
    await p.close();
  });
});

describe('with auth on', () => {
  const PASSWORD = 'a long enough test password';
  let on: Server;
  beforeAll(async () => {
    const path = join(tmp.dir, 'on.duckdb');
    const env = { DUCKDB_PATH: path, AUTH: 'on', AUTH_SECRET: 'a-test-secret-of-at-least-32-characters!!' };
    // the first admin, as `evalhouse users add` makes them: on the store, before a server holds it
    const store = await DuckDbStore.open(path);
    const accounts = new KyselyAccountStore(accountDb(store), { auth: loadConfig(env).auth });
    const by: AuditActor = {
      actor: { userId: null, email: null, role: 'admin', keyId: null },
      requestId: null,
      address: null,
    };
    const u = await accounts.createUser({ email: 'ada@example.com', name: 'Ada', password: PASSWORD }, by);
    await accounts.setMembership(u.id, (await accounts.getWorkspace('default'))!.id, 'admin', by);
    await store.close();
    on = await startServer({ ...env, PORT: '0' });
  }, 120_000);
  afterAll(async () => {
    await on?.stop();
  });

  it('GET /me answers 401: the sign-in page; a wrong password says so; the right one shows the page asked for', async () => {
    const { page: p, w } = await newPage(
      browser,
      1280,
      (status, url) => status === 401 && ['/me', '/auth/login'].includes(new URL(url).pathname),
    );
    await open(p, on.url, '#/members');
    await p.waitForSelector('#signin-email');
    expect(await p.locator('h1').textContent()).toBe('Sign in to evalhouse');
    expect(await p.locator('#nav a').count()).toBe(0);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'signin');

    await p.fill('#signin-email', 'ada@example.com');
    await p.fill('#signin-password', 'not the password');
    await p.click('#signin-submit');
    await p.waitForSelector('.signin-status :text("Wrong email or password")');

    await p.fill('#signin-password', PASSWORD);
    await p.click('#signin-submit');
    await p.waitForSelector('h1:text("Members and roles")');
    await ready(p);
    expect(await p.locator('#user-menu').textContent()).toContain('ada@example.com');
    expect(await p.locator('table.members').textContent()).toContain('ada@example.com');

    // a write carries the CSRF cookie's value
    const csrf = (await p.context().cookies()).find((c) => c.name === '__Host-eh_csrf')?.value;
    expect(csrf).toBeTruthy();
    const [put] = await Promise.all([
      p.waitForRequest((r) => r.method() === 'PUT' && new URL(r.url()).pathname === '/members'),
      (async () => {
        await p.fill('#member-email', 'bob@example.com');
        await p.click('#member-add');
      })(),
    ]);
    expect(headerOf(put, 'x-csrf-token')).toBe(csrf);
    await p.waitForSelector('table.members :text("bob@example.com")');

    // sign out: back to the sign-in page, and the API says 401
    await p.click('#user-menu');
    await p.click('#sign-out');
    await p.waitForSelector('#signin-email');
    expect(await p.evaluate(async () => (await fetch('me')).status)).toBe(401);
    expect(w.problems.filter((x) => !/status of 401/.test(x))).toEqual([]);
    await p.close();
  });

  it('the sign-in page links to Google and GitHub when the server enables them', async () => {
    const { page: p } = await newPage(browser, 1280, (status) => status === 401);
    // this server has no OAuth client configured: the answer of GET /auth/providers as one with both would give
    await p.route('**/auth/providers', (r) =>
      r.fulfill({ json: { auth: true, password: false, google: true, github: true } }),
    );
    await open(p, on.url, '#/');
    await p.waitForSelector('#signin-google');
    expect(await p.locator('#signin-email').count()).toBe(0);
    expect(await p.locator('#signin-google').getAttribute('href')).toBe('auth/google');
    expect(await p.locator('#signin-github').textContent()).toBe('Sign in with GitHub');
    expect(await axe(p)).toEqual([]);
    await p.close();
  });
});
