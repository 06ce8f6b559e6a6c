import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLE_PERMISSIONS } from '../../accounts/roles.ts';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { PermissionSchema, RoleSchema, RolesView, rolesView, UserView, userView } from './account-views.ts';
import { problems } from './schemas.ts';

const Me = z.object({
  auth: z.boolean().describe('whether requests need credentials (false: the local user is admin of all)'),
  principal: z.enum(['local', 'session', 'key']),
  user: UserView.nullable().describe("the signed-in user, or the key's creator; null for the local user"),
  key: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  workspaces: z.array(
    z.object({
      slug: z.string(),
      name: z.string(),
      role: RoleSchema,
      permissions: z.array(PermissionSchema),
    }),
  ),
  roles: RolesView,
});

/** GET /me: who the caller is, their workspaces and role in each, and what each role allows. */
export async function meRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/me',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: 'Who the caller is: user or key, their workspaces with role and permissions, and the roles',
        response: { 200: Me, ...problems(401) },
      },
    },
    async (req) => {
      const p = req.principal;
      if (!p) throw errors.unauthenticated();
      // a key's membership names its workspace by slug only: the names come from the store
      const names = new Map(((await ctx.accounts?.listWorkspaces()) ?? []).map((w) => [w.id, w.name]));
      return {
        auth: ctx.config.auth.enabled,
        principal: p.kind,
        user: p.kind === 'local' ? null : userView(p.user),
        key: p.kind === 'key' ? { id: p.keyId, name: p.keyName } : null,
        workspaces: p.memberships.map((m) => ({
          slug: m.workspace.slug,
          name: names.get(m.workspace.id) ?? m.workspace.name,
          role: m.role,
          permissions: [...ROLE_PERMISSIONS[m.role]],
        })),
        roles: rolesView(),
      };
    },
  );
}
