import type { FastifyInstance } from 'fastify';
import type { Permission } from '../../accounts/roles.ts';
import type { AccountStore } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import { resolveAccess, type WorkspaceAccess } from './scope.ts';
import './principal.ts';

export type RoutePermission = Permission | 'public' | 'signed-in';

/** A route as the guard saw it registered: what it needs of its caller. */
export interface DeclaredRoute {
  method: string;
  url: string;
  permission: RoutePermission;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared permission (the access tests generate their matrix from it). */
    declaredRoutes: readonly DeclaredRoute[];
  }
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
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route) => {
    if (!route.config?.permission) {
      if (!PUBLIC_PREFIXES.some((p) => route.url.startsWith(p)))
        throw new Error(
          `route ${String(route.method)} ${route.url} declares no permission (config: { permission }, api/auth/principal.ts)`,
        );
      route.config = { ...route.config, permission: 'public' };
    }
    const permission = route.config.permission as RoutePermission;
    for (const method of [route.method].flat()) declared.push({ method, url: route.url, permission });
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
