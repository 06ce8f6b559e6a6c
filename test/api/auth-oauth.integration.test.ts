import { generateKeyPairSync, sign } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE } from '../../accounts/roles.ts';
import { type AuthTestApp, authTestApp, Browser, CLI } from './auth-app.ts';

const GOOGLE_ID = 'evalhouse-test-client';
const GOOGLE_SECRET = 'google-client-secret-xyz';
const GITHUB_ID = 'gh-client-id';
const GITHUB_SECRET = 'github-client-secret-xyz';

/** How the next ID token of the mock provider is spoiled (null: a good one). */
type Tamper = null | 'audience' | 'expired' | 'signature' | 'nonce' | 'unverified' | 'issuer';

let oidc: OAuth2Server;
let tamper: Tamper = null;
let googleEmail = 'ada@example.com';
let googleSub = 'johndoe';
let github: FastifyInstance;
let githubUrl: string;
const githubSeen: { path: string; body?: unknown; auth?: string }[] = [];
let githubUser = { id: 4242, login: 'octo', name: 'Octo Cat' };
let githubEmails = [{ email: 'octo@example.com', primary: true, verified: true }];
let t: AuthTestApp;

beforeAll(async () => {
  oidc = new OAuth2Server();
  await oidc.issuer.keys.generate('RS256');
  await oidc.start(0, '127.0.0.1');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  oidc.service.on('beforeTokenSigning', (token) => {
    if (!('aud' in token.payload)) return; // the access token; the ID token names its audience
    Object.assign(token.payload, {
      sub: googleSub,
      email: googleEmail,
      email_verified: tamper !== 'unverified',
      name: 'Ada',
    });
    const now = Math.floor(Date.now() / 1000);
    if (tamper === 'audience') token.payload.aud = 'someone-else';
    if (tamper === 'expired')
      Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
    if (tamper === 'nonce') token.payload.nonce = 'not-this-sign-in';
    if (tamper === 'issuer') token.payload.iss = 'https://evil.example';
  });
  // a token of the right shape signed by another key (the same kid): the signature must fail. The
  // event is synchronous, hence node:crypto's synchronous signature
  oidc.service.on('beforeResponse', (response: { body: Record<string, unknown> }) => {
    if (tamper !== 'signature') return;
    const [header, payload] = (response.body.id_token as string).split('.') as [string, string];
    const forged = sign('sha256', Buffer.from(`${header}.${payload}`), other.privateKey).toString(
      'base64url',
    );
    response.body.id_token = `${header}.${payload}.${forged}`;
  });

  github = Fastify();
  github.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  github.get('/login/oauth/authorize', async (req, reply) => {
    const q = req.query as Record<string, string>;
    githubSeen.push({ path: '/login/oauth/authorize', body: q });
    const to = new URL(q.redirect_uri!);
    to.searchParams.set('code', 'gh-code-123456');
    to.searchParams.set('state', q.state!);
    return reply.redirect(to.toString(), 302);
  });
  github.post('/login/oauth/access_token', async (req) => {
    const body = req.body as Record<string, string>;
    githubSeen.push({ path: '/login/oauth/access_token', body });
    if (body.code !== 'gh-code-123456' || body.client_secret !== GITHUB_SECRET)
      return { error: 'bad_verification_code' };
    return { access_token: 'gho_access_token_abcdef', token_type: 'bearer', scope: 'read:user,user:email' };
  });
  const authed = (req: { headers: Record<string, unknown> }) =>
    req.headers.authorization === 'Bearer gho_access_token_abcdef';
  github.get('/api/user', async (req, reply) => {
    githubSeen.push({ path: '/user', auth: String(req.headers.authorization) });
    return authed(req) ? githubUser : reply.code(401).send({ message: 'Bad credentials' });
  });
  github.get('/api/user/emails', async (req, reply) => {
    githubSeen.push({ path: '/user/emails' });
    return authed(req) ? githubEmails : reply.code(401).send({ message: 'Bad credentials' });
  });
  githubUrl = await github.listen({ host: '127.0.0.1', port: 0 });

  t = await authTestApp({
    GOOGLE_CLIENT_ID: GOOGLE_ID,
    GOOGLE_CLIENT_SECRET: GOOGLE_SECRET,
    GOOGLE_ISSUER: oidc.issuer.url!,
    GITHUB_CLIENT_ID: GITHUB_ID,
    GITHUB_CLIENT_SECRET: GITHUB_SECRET,
    GITHUB_URL: githubUrl,
    GITHUB_API_URL: `${githubUrl}/api`,
  });
  const ws = (await t.accounts.getWorkspace(DEFAULT_WORKSPACE))!;
  for (const email of ['ada@example.com', 'octo@example.com']) {
    const u = await t.accounts.createUser({ email }, CLI);
    await t.accounts.setMembership(u.id, ws.id, 'viewer', CLI);
  }
}, 60_000);

afterAll(async () => {
  await t?.close();
  await github?.close();
  await oidc?.stop();
});

beforeEach(() => {
  tamper = null;
  googleEmail = 'ada@example.com';
  googleSub = 'johndoe';
});

/** The browser's round trip: our start URL → the provider → our callback. Answers the callback's response. */
async function signInThrough(b: Browser, provider: 'google' | 'github', start = `/auth/${provider}`) {
  const go = await b.fetch(start);
  expect(go.status).toBe(302);
  const atProvider = await fetch(go.headers.get('location')!, { redirect: 'manual' });
  expect(atProvider.status).toBe(302);
  const back = atProvider.headers.get('location')!;
  expect(back.startsWith(`${t.url}/auth/${provider}/callback?`)).toBe(true);
  return b.fetch(back, { headers: { accept: 'text/html' } });
}

describe('Google (OpenID Connect against a local provider)', () => {
  it('the start redirect carries state, nonce and a S256 PKCE challenge, and sets the signed state cookie', async () => {
    const b = new Browser(t.url);
    const go = await b.fetch('/auth/google?return_to=/runs');
    const to = new URL(go.headers.get('location')!);
    expect(to.origin).toBe(new URL(oidc.issuer.url!).origin);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: GOOGLE_ID,
      redirect_uri: `${t.url}/auth/google/callback`,
      code_challenge_method: 'S256',
    });
    for (const p of ['state', 'nonce', 'code_challenge'])
      expect(to.searchParams.get(p)?.length).toBeGreaterThan(30);
    expect(go.headers.getSetCookie().find((c) => c.startsWith('__Host-eh_oauth='))).toMatch(
      /HttpOnly.*Secure|Secure.*HttpOnly/i,
    );
  });

  it('a good ID token signs in (the identity linked by verified email), then lands on return_to', async () => {
    const b = new Browser(t.url);
    const res = await signInThrough(b, 'google', '/auth/google?return_to=/runs%3Fx%3D1');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/runs?x=1');
    expect(b.jar.has('__Host-eh_oauth')).toBe(false);
    expect(await (await b.fetch('/probe/me')).json()).toEqual({ kind: 'session', user: 'ada@example.com' });
    const ada = await t.accounts.findUserByIdentity('google', 'johndoe');
    expect(ada?.email).toBe('ada@example.com');
    const entry = (await t.accounts.audit.list({ action: 'auth.sign_in' }))[0]!;
    expect(entry).toMatchObject({ actor: { email: 'ada@example.com' }, after: { method: 'google' } });
  });

  it.each([
    ['audience', 'a token for another client'],
    ['expired', 'an expired token'],
    ['signature', 'a token signed by another key'],
    ['nonce', 'a token of another sign-in (nonce)'],
    ['issuer', 'a token of another issuer'],
    ['unverified', 'an unverified email'],
  ] as const)('refuses %s: %s', async (kind, _what) => {
    tamper = kind;
    const b = new Browser(t.url);
    const res = await signInThrough(b, 'google');
    expect(res.status).toBe(401);
    expect(await res.text()).toMatch(/Sign-in refused/);
    expect(b.jar.has('__Host-eh_access')).toBe(false);
    expect(b.jar.has('__Host-eh_refresh')).toBe(false);
    expect((await b.fetch('/probe/me')).status).toBe(401);
    const [entry] = await t.accounts.audit.list({ action: 'auth.sign_in_failed', limit: 1 });
    expect(entry?.after).toMatchObject({ method: 'google', reason: 'refused' });
  });

  it('an unknown user gets 403 "ask an admin to add you", audited; JSON for a non-browser', async () => {
    googleSub = 'stranger-sub';
    googleEmail = 'stranger@example.com';
    const b = new Browser(t.url);
    const go = await b.fetch('/auth/google');
    const back = (await fetch(go.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!;
    const res = await b.fetch(back, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: 'FORBIDDEN',
      message: expect.stringMatching(/ask an admin to add you/),
    });
    expect(await t.accounts.findUserByIdentity('google', 'stranger-sub')).toBeNull();
    const failed = await t.accounts.audit.list({ action: 'auth.sign_in_failed' });
    expect(failed[0]).toMatchObject({
      actor: { email: 'stranger@example.com' },
      after: { reason: 'not_a_member' },
    });
  });

  it('a callback without the state cookie, or with another state, is refused', async () => {
    const b = new Browser(t.url);
    const go = await b.fetch('/auth/google');
    const back = new URL(
      (await fetch(go.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!,
    );
    const stranger = new Browser(t.url); // no cookie: a link sent to a victim
    expect((await stranger.fetch(back.toString())).status).toBe(401);
    back.searchParams.set('state', 'forged');
    expect((await b.fetch(back.toString())).status).toBe(401);
    const refused = await t.accounts.audit.list({ action: 'auth.sign_in_failed' });
    expect(refused.some((e) => (e.after as { reason?: string }).reason === 'bad_state')).toBe(true);
  });

  it('return_to never leaves the origin', async () => {
    const b = new Browser(t.url);
    const res = await signInThrough(b, 'google', '/auth/google?return_to=//evil.example/x');
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('GitHub (a local fake of its three endpoints)', () => {
  it('signs in with the verified primary email, sending the code, secret and token where they belong', async () => {
    githubSeen.length = 0;
    const b = new Browser(t.url);
    const res = await signInThrough(b, 'github');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(await (await b.fetch('/probe/me')).json()).toEqual({ kind: 'session', user: 'octo@example.com' });
    expect(githubSeen.map((s) => s.path)).toEqual([
      '/login/oauth/authorize',
      '/login/oauth/access_token',
      '/user',
      '/user/emails',
    ]);
    expect(githubSeen[1]!.body).toMatchObject({
      client_id: GITHUB_ID,
      client_secret: GITHUB_SECRET,
      code: 'gh-code-123456',
      redirect_uri: `${t.url}/auth/github/callback`,
    });
    expect((await t.accounts.findUserByIdentity('github', '4242'))?.email).toBe('octo@example.com');
  });

  it('refuses an account whose primary email is not verified, and an unknown user (403)', async () => {
    githubUser = { id: 777, login: 'unv', name: 'Unverified' };
    githubEmails = [
      { email: 'octo@example.com', primary: true, verified: false },
      { email: 'other@example.com', primary: false, verified: true },
    ];
    const unverified = await signInThrough(new Browser(t.url), 'github');
    expect(unverified.status).toBe(401);
    expect(await unverified.text()).toMatch(/verified primary email/);

    githubUser = { id: 778, login: 'stranger', name: null as unknown as string };
    githubEmails = [{ email: 'stranger@example.com', primary: true, verified: true }];
    const unknown = await signInThrough(new Browser(t.url), 'github');
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toMatch(/ask an admin to add you/);
    const failed = await t.accounts.audit.list({ action: 'auth.sign_in_failed' });
    expect(failed.some((e) => (e.after as { reason?: string }).reason === 'not_a_member')).toBe(true);
  });

  it('no client secret, code or provider token in any answer or log line', () => {
    const everything = t.logs.join('\n');
    for (const s of [GOOGLE_SECRET, GITHUB_SECRET, 'gh-code-123456', 'gho_access_token_abcdef'])
      expect(everything.includes(s), s).toBe(false);
  });
});
