import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { AccountStore } from '../../accounts/types.ts';
import type { Config } from '../../core/config.ts';
import { installAuthenticate } from './authenticate.ts';
import { installCsrf } from './csrf.ts';
import { installEdges } from './edges.ts';
import { sessionPrincipal } from './session.ts';

/**
 * Who the request is, in order: cookies parsed, the principal resolved (API key or session), the CSRF
 * check of cookie-authenticated writes, then helmet and the per-principal rate limit. Before the guard
 * and the routes (the rate limit attaches to each route as it is added).
 */
export async function installSession(
  app: FastifyInstance,
  deps: { config: Pick<Config, 'auth' | 'queue'>; accounts: AccountStore },
): Promise<void> {
  await app.register(cookie);
  await installAuthenticate(app, {
    config: deps.config,
    accounts: deps.accounts,
    sessionPrincipal: sessionPrincipal(deps.accounts),
  });
  installCsrf(app);
  await installEdges(app, deps.config);
}
