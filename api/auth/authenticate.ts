import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_WORKSPACE } from '../../accounts/roles.ts';
import type { AccountStore, Membership, Principal } from '../../accounts/types.ts';
import type { Config } from '../../core/config.ts';
import './principal.ts';

/**
 * Resolves who makes each request to a guarded route into `req.principal`, before the route runs; it refuses nothing
 * itself (the guard does, by the route's declared permission):
 * - auth off: the local user, admin of every workspace;
 * - `Authorization: Bearer <key>`: an API key (its one workspace and role); a bearer that is not a live
 *   key leaves the principal null, so the request gets 401, whatever cookies it also carries;
 * - otherwise the session cookies (`sessionPrincipal`, api/auth/session.ts), when they are valid.
 */
export interface AuthenticateDeps {
  config: Pick<Config, 'auth'>;
  accounts: AccountStore;
  /** The signed-in user of the request's cookies, or null (api/auth/session.ts). */
  sessionPrincipal?: (req: FastifyRequest) => Promise<Principal | null>;
}

export async function installAuthenticate(app: FastifyInstance, deps: AuthenticateDeps): Promise<void> {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    // public routes (health, readiness, sign-in, the UI's files) need nobody: they must answer while the
    // control database is down, and cost it no query; no route (404) neither
    const permission = req.routeOptions.config?.permission;
    if (permission === undefined || permission === 'public') return;
    req.principal = await principalOf(req, deps);
  });
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

async function principalOf(req: FastifyRequest, deps: AuthenticateDeps): Promise<Principal | null> {
  if (!deps.config.auth.enabled) return localPrincipal(await deps.accounts.listWorkspaces());
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const token = BEARER.exec(authorization)?.[1];
    if (!token) return null;
    const found = await deps.accounts.authenticateKey(token);
    if (!found) return null;
    const { key, user } = found;
    const membership: Membership = {
      workspace: { id: key.workspace.id, slug: key.workspace.slug, name: key.workspace.slug },
      role: key.role,
    };
    return { kind: 'key', user, keyId: key.id, keyName: key.name, memberships: [membership] };
  }
  return deps.sessionPrincipal ? deps.sessionPrincipal(req) : null;
}

/** Auth off: admin of every workspace (`default` first). */
export function localPrincipal(workspaces: { id: number; slug: string; name: string }[]): Principal {
  const sorted = [...workspaces].sort(
    (a, b) => Number(b.slug === DEFAULT_WORKSPACE) - Number(a.slug === DEFAULT_WORKSPACE) || a.id - b.id,
  );
  return {
    kind: 'local',
    memberships: sorted.map((w) => ({ workspace: { id: w.id, slug: w.slug, name: w.name }, role: 'admin' })),
  };
}
