import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { accountsOf, administersOrg, userOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { auditActorOf } from '../data-audit.ts';
import { RoleSchema, WorkspaceView, workspaceView } from './account-views.ts';
import { problems } from './schemas.ts';

/** A workspace's slug: it names a database (`<db>_ws<id>` uses the id, but the slug goes in URLs and headers). */
export const WORKSPACE_SLUG = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'lower-case letters, digits and dashes, starting with a letter or digit, at most 63',
  );

const NewWorkspace = z.strictObject({
  slug: WORKSPACE_SLUG,
  name: z.string().trim().min(1).max(191),
  org: WORKSPACE_SLUG.optional().describe("the organisation's slug (default: the request workspace's)"),
});

/**
 * GET /workspaces: the caller's workspaces and role in each. POST /workspaces: a new workspace in an
 * organisation, created by an admin of that organisation (api/auth/actor.ts administersOrg), who becomes
 * its admin.
 */
export async function workspaceRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);
  r.get(
    '/workspaces',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: "The caller's workspaces, with their role in each",
        response: {
          200: z.object({ workspaces: z.array(WorkspaceView.extend({ role: RoleSchema })) }),
          ...problems(401),
        },
      },
    },
    async (req) => {
      const mine = new Map((req.principal?.memberships ?? []).map((m) => [m.workspace.id, m.role]));
      const all = await accounts().listWorkspaces();
      return {
        workspaces: all.flatMap((w) => {
          const role = mine.get(w.id);
          return role ? [{ ...workspaceView(w), role }] : [];
        }),
      };
    },
  );

  r.post(
    '/workspaces',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          "Creates a workspace in an organisation (its admins); its creator becomes the workspace's admin",
        body: NewWorkspace,
        response: { 201: WorkspaceView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { workspace } = accessOf(req);
      if (req.principal?.kind === 'key') throw errors.forbidden('API keys cannot create workspaces: sign in');
      const { slug, name } = req.body;
      const org = req.body.org
        ? await accounts().getOrganisation(req.body.org)
        : await accounts().getOrganisationById(workspace.orgId);
      if (!org || !(await administersOrg(req, accounts(), org.id))) {
        // an organisation the caller does not administer is not named back to them
        throw errors.forbidden(
          `workspaces are created by the admins of their organisation${req.body.org ? `; you are not an admin of ${JSON.stringify(req.body.org)}` : ''}`,
          { needs: 'organisation admin' },
        );
      }
      if (await accounts().getWorkspace(slug))
        throw errors.conflict(`workspace ${JSON.stringify(slug)} exists`, { slug });
      const by = auditActorOf(req);
      const created = await accounts().createWorkspace(slug, name, by, org.id);
      const user = userOf(req);
      // the local user of auth off is admin of every workspace already
      if (user) await accounts().setMembership(user.id, created.id, 'admin', by);
      return reply.code(201).send(workspaceView(created));
    },
  );
}
