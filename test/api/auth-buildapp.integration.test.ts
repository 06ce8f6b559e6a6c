import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { Browser, CLI } from './auth-app.ts';

// the sign-in half as buildApp wires it, over the real routes (the guard's refusals are tenancy's tests)
const tmp = tmpDir();
let ctx: AppContext;
let app: Awaited<ReturnType<typeof buildApp>>;
let url: string;
const PASSWORD = 'pw-pw-pw-pw';

beforeAll(async () => {
  ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/b.duckdb`, DEMO_DATA: 'off', AUTH: 'on' }), {
    mirrorLoop: false,
  });
  const accounts = ctx.accounts!;
  const e = await accounts.createUser({ email: 'e@example.com', password: PASSWORD }, CLI);
  await accounts.setMembership(e.id, (await accounts.getWorkspace('default'))!.id, 'editor', CLI);
  app = await buildApp(ctx);
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await ctx.close();
  tmp.cleanup();
});

it('buildApp: a signed-in session reads, its writes need the CSRF token, logout ends it; helmet headers', async () => {
  const b = new Browser(url);
  expect((await b.json('/auth/login', { email: 'e@example.com', password: PASSWORD })).status).toBe(200);
  expect((await b.fetch('/benchmarks')).status).toBe(200);
  const upload = { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"x":1}\n' };
  const noToken = await b.fetch('/imports?format=canonical', upload);
  expect(noToken.status).toBe(403);
  expect(await noToken.text()).toMatch(/x-csrf-token/);
  const withToken = await b.fetch('/imports?format=canonical', { ...upload, csrf: true });
  expect(withToken.status).toBe(400); // past the CSRF check: the record itself is invalid
  expect((await b.fetch('/auth/logout', { method: 'POST', csrf: true })).status).toBe(204);
  expect(b.jar.size).toBe(0);
  const page = await b.fetch('/health');
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(page.headers.get('x-content-type-options')).toBe('nosniff');
});
