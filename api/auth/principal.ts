import type { Permission } from '../../accounts/roles.ts';
import type { Principal } from '../../accounts/types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who makes the request, set by the authentication hook (api/auth/) before any handler runs; null:
     * no (valid) credentials. Only the scoping function (api/auth/scope.ts) turns it into access.
     */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * What a route needs of its caller's role in the request's workspace (accounts/roles.ts), or
     * `public` (health, sign-in, the UI's files) or `signed-in` (GET /me: any principal, no workspace).
     * Every route declares one: the server refuses to start otherwise.
     */
    permission?: Permission | 'public' | 'signed-in';
  }
}

export type { Principal };
