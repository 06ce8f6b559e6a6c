import { randomBytes } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthConfig } from '../../core/config.ts';

/**
 * The session cookies. `__Host-` makes browsers refuse them unless Secure, Path=/ and without Domain, so
 * no subdomain can plant or read them; browsers accept Secure cookies on http://localhost and 127.0.0.1.
 */
export const ACCESS_COOKIE = '__Host-eh_access';
export const REFRESH_COOKIE = '__Host-eh_refresh';
/** The CSRF double-submit value: readable by the page's script, which echoes it in `x-csrf-token`. */
export const CSRF_COOKIE = '__Host-eh_csrf';
/** The state of an OAuth sign-in between the redirect and the callback (signed, 10 minutes). */
export const OAUTH_COOKIE = '__Host-eh_oauth';
export const OAUTH_TTL_S = 600;

const BASE = { path: '/', secure: true, sameSite: 'lax', httpOnly: true } as const;

export function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const v = req.cookies?.[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Sets the access, refresh and CSRF cookies of a signed-in session. */
export function setSessionCookies(
  reply: FastifyReply,
  auth: Pick<AuthConfig, 'accessTtlS' | 'refreshTtlS'>,
  s: { accessToken: string; refreshToken: string; csrf?: string; refreshExpiresAt?: string },
): void {
  // the refresh family ends REFRESH_TTL after sign-in (rotation does not extend it): so does its cookie
  const refreshS = s.refreshExpiresAt
    ? Math.max(0, Math.floor((Date.parse(s.refreshExpiresAt) - Date.now()) / 1000))
    : auth.refreshTtlS;
  reply.setCookie(ACCESS_COOKIE, s.accessToken, { ...BASE, maxAge: Math.min(auth.accessTtlS, refreshS) });
  reply.setCookie(REFRESH_COOKIE, s.refreshToken, { ...BASE, maxAge: refreshS });
  // a refresh keeps the CSRF value, so a write the page sends meanwhile still matches
  reply.setCookie(CSRF_COOKIE, s.csrf ?? randomBytes(32).toString('base64url'), {
    ...BASE,
    httpOnly: false,
    maxAge: refreshS,
  });
}

export function clearSessionCookies(reply: FastifyReply): void {
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE])
    reply.clearCookie(name, { ...BASE, httpOnly: name !== CSRF_COOKIE });
}

export function setOAuthCookie(reply: FastifyReply, value: string): void {
  reply.setCookie(OAUTH_COOKIE, value, { ...BASE, maxAge: OAUTH_TTL_S });
}

export function clearOAuthCookie(reply: FastifyReply): void {
  reply.clearCookie(OAUTH_COOKIE, BASE);
}
