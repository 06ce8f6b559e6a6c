import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../api/auth/sign-in.ts';
import {
  signAccessToken,
  signOAuthState,
  verifyAccessToken,
  verifyOAuthState,
} from '../../api/auth/tokens.ts';

const SECRET = 'a'.repeat(64);
const claims = { userId: 42, family: 'fam-1' };

describe('access tokens', () => {
  it('round-trips the user and family', async () => {
    const t = await signAccessToken(claims, SECRET, 60);
    expect(t.split('.')).toHaveLength(3);
    expect(await verifyAccessToken(t, SECRET)).toEqual(claims);
  });

  it('refuses another secret, a tampered payload or signature, and garbage', async () => {
    const t = await signAccessToken(claims, SECRET, 60);
    expect(await verifyAccessToken(t, 'b'.repeat(64))).toBeNull();
    const [h, p, s] = t.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: '1' }),
    ).toString('base64url');
    expect(await verifyAccessToken(`${h}.${forged}.${s}`, SECRET)).toBeNull();
    expect(await verifyAccessToken(`${h}.${p}.${s.slice(0, -2)}xx`, SECRET)).toBeNull();
    expect(await verifyAccessToken('not-a-token', SECRET)).toBeNull();
    expect(await verifyAccessToken('', SECRET)).toBeNull();
  });

  it('refuses an expired token, and accepts it within a given tolerance (logout)', async () => {
    const then = new Date(Date.now() - 120_000);
    const t = await signAccessToken(claims, SECRET, 60, then);
    expect(await verifyAccessToken(t, SECRET)).toBeNull();
    expect(await verifyAccessToken(t, SECRET, new Date(), 3600)).toEqual(claims);
  });

  it('refuses a token of another kind (typ), and the oauth state as an access token', async () => {
    const state = await signOAuthState({ provider: 'github', state: 's', returnTo: '/' }, SECRET, 60);
    expect(await verifyAccessToken(state, SECRET)).toBeNull();
    const access = await signAccessToken(claims, SECRET, 60);
    expect(await verifyOAuthState(access, SECRET)).toBeNull();
    // a token signed with the raw secret and no typ (what a naive forger would try)
    const raw = await new SignJWT({ fam: 'fam-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('42')
      .setIssuer('evalhouse')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    expect(await verifyAccessToken(raw, SECRET)).toBeNull();
  });

  it('refuses alg none', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'eh-access' })).toString('base64url');
    const p = Buffer.from(
      JSON.stringify({ sub: '42', fam: 'x', iss: 'evalhouse', exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    expect(await verifyAccessToken(`${h}.${p}.`, SECRET)).toBeNull();
  });

  it('oauth state round-trips', async () => {
    const s = { provider: 'google' as const, state: 'st', nonce: 'n', verifier: 'v', returnTo: '/x?y=1' };
    expect(await verifyOAuthState(await signOAuthState(s, SECRET, 60), SECRET)).toEqual(s);
  });
});

describe('return_to', () => {
  it('keeps same-origin paths only', () => {
    expect(safeReturnTo('/runs?x=1#a')).toBe('/runs?x=1#a');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      'evil',
      '/a\nb',
      undefined,
      7,
    ])
      expect(safeReturnTo(bad)).toBe('/');
  });
});
