import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../core/errors.ts';
import { CSRF_COOKIE, cookieOf, REFRESH_COOKIE } from './cookies.ts';
import './principal.ts';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Double-submit CSRF check for cookie-authenticated writes: a foreign page can make the browser send our
 * cookies but cannot read `__Host-eh_csrf`, so it cannot echo it in `x-csrf-token`. Runs after the
 * principal is resolved (installAuthenticate): Bearer keys and the local principal need no token, since
 * no browser attaches them by itself. A write with a refresh cookie and no live access token (POST
 * /auth/refresh, /auth/logout) is cookie-authenticated too. The Origin check of api/security.ts stays in
 * front of it.
 */
export function installCsrf(app: FastifyInstance): void {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (SAFE_METHODS.has(req.method)) return;
    const byCookie =
      req.principal?.kind === 'session' ||
      (req.principal === null && cookieOf(req, REFRESH_COOKIE) !== undefined);
    if (!byCookie) return;
    const cookie = cookieOf(req, CSRF_COOKIE);
    const h = req.headers[CSRF_HEADER];
    const header = Array.isArray(h) ? h[0] : h;
    if (!cookie || !header || !sameSecret(cookie, header)) {
      throw errors.forbidden(
        `a signed-in write needs the ${CSRF_HEADER} header equal to the ${CSRF_COOKIE} cookie (the dashboards send it; scripts should use an API key)`,
      );
    }
  });
}
