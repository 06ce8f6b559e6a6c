import type { FastifyInstance } from 'fastify';
import type { Permission } from '../../accounts/roles.ts';
import type { AccountStore } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import { resolveAccess, type WorkspaceAccess } from './scope.ts';
import './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace the request acts in and the caller's role there, set by the guard for every route that needs one. */
    access: WorkspaceAccess | null;
  }
}

/** Routes other plugins register (the OpenAPI docs, the web UI's files): readable by anyone. */
const PUBLIC_PREFIXES = ['/docs', '/openapi.json'];

/**
 * Enforces each route's declared permission before its body is read (onRequest). A route that declares
 * none makes the server refuse to start, so a new route cannot be open by omission.
 */
export function installGuard(app: FastifyInstance, accounts: Pick<AccountStore, 'getWorkspace'>): void {
  app.decorateRequest('access', null);
  app.addHook('onRoute', (route) => {
    if (route.config?.permission) return;
    if (PUBLIC_PREFIXES.some((p) => route.url.startsWith(p))) {
      route.config = { ...route.config, permission: 'public' };
      return;
    }
    throw new Error(
      `route ${String(route.method)} ${route.url} declares no permission (config: { permission }, api/auth/principal.ts)`,
    );
  });
  app.addHook('onRequest', async (req) => {
    const permission = req.routeOptions.config?.permission;
    if (permission === undefined || permission === 'public') return; // undefined: no route matched (404)
    if (!req.principal) throw errors.unauthenticated();
    if (permission === 'signed-in') return;
    req.access = await resolveAccess(req, accounts, permission satisfies Permission);
  });
}

/** The access the guard resolved for this request; a route reads its workspace only from here. */
export function accessOf(req: { access: WorkspaceAccess | null }): WorkspaceAccess {
  if (!req.access) throw new Error('route reads its workspace but declares no workspace permission');
  return req.access;
}
