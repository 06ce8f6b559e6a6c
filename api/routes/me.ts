import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_ORG_ID, DEFAULT_WORKSPACE, ROLE_PERMISSIONS } from '../../accounts/roles.ts';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { administersOrg } from '../auth/actor.ts';
import { defaultOnlyAccounts } from '../single-workspace.ts';
import { PermissionSchema, RoleSchema, RolesView, rolesView, UserView, userView } from './account-views.ts';
import { problems } from './schemas.ts';

const Me = z.object({
  auth: z.boolean().describe('whether requests need credentials (false: the local user is admin of all)'),
  principal: z.enum(['local', 'session', 'key']),
  user: UserView.nullable().describe("the signed-in user, or the key's creator; null for the local user"),
  key: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  orgs: z
    .array(z.object({ slug: z.string(), name: z.string(), admin: z.boolean() }))
    .describe('the organisations holding their workspaces; admin: they create its workspaces'),
  workspaces: z.array(
    z.object({
      slug: z.string(),
      name: z.string(),
      org: z.string().describe("the organisation's slug"),
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
      const accounts = ctx.accounts ?? defaultOnlyAccounts();
      const [all, orgs] = await Promise.all([accounts.listWorkspaces(), accounts.listOrganisations()]);
      const byId = new Map(all.map((w) => [w.id, w]));
      const orgOf = (id: number) => orgs.find((o) => o.id === (byId.get(id)?.orgId ?? DEFAULT_ORG_ID));
      const held = new Set(p.memberships.map((m) => orgOf(m.workspace.id)?.id));
      const mineOrgs = [];
      for (const o of orgs) {
        const admin = await administersOrg(req, accounts, o.id);
        if (admin || held.has(o.id)) mineOrgs.push({ slug: o.slug, name: o.name, admin });
      }
      return {
        auth: ctx.config.auth.enabled,
        principal: p.kind,
        user: p.kind === 'local' ? null : userView(p.user),
        key: p.kind === 'key' ? { id: p.keyId, name: p.keyName } : null,
        orgs: mineOrgs,
        workspaces: p.memberships.map((m) => ({
          slug: m.workspace.slug,
          name: byId.get(m.workspace.id)?.name ?? m.workspace.name,
          org: orgOf(m.workspace.id)?.slug ?? DEFAULT_WORKSPACE,
          role: m.role,
          permissions: [...ROLE_PERMISSIONS[m.role]],
        })),
        roles: rolesView(),
      };
    },
  );
}
