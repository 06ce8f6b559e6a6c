import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_ORG_ID } from '../../accounts/roles.ts';
import type { AccountStore, Organisation } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { accountsOf, administersOrg, isInstallAdmin, userOf } from '../auth/actor.ts';
import { auditActorOf } from '../data-audit.ts';
import {
  OrganisationView,
  organisationView,
  UserView,
  userView,
  WorkspaceView,
  workspaceView,
} from './account-views.ts';
import { EMAIL } from './members.ts';
import { problems } from './schemas.ts';
import { WORKSPACE_SLUG } from './workspaces.ts';

const NewOrganisation = z.strictObject({
  slug: WORKSPACE_SLUG,
  name: z.string().trim().min(1).max(191),
  workspace: z
    .strictObject({ slug: WORKSPACE_SLUG, name: z.string().trim().min(1).max(191) })
    .optional()
    .describe('its first workspace (default: slug and name of the organisation)'),
  admin_email: EMAIL.optional().describe('its first admin, an existing user (default: the caller)'),
});
const OrgSlug = z.strictObject({ slug: WORKSPACE_SLUG });
const OrgUser = z.strictObject({ slug: WORKSPACE_SLUG, userId: z.coerce.number().int().min(1) });

const OrgListing = OrganisationView.extend({
  admin: z.boolean().describe('whether the caller administers it (creates its workspaces, names its admins)'),
  workspaces: z.array(z.string()).describe("the caller's workspaces in it (slugs)"),
});

/**
 * The organisation a caller may manage: unknown and foreign ones are one 404 (a caller learns nothing of
 * organisations they have no part in); a member of one of its workspaces who is not its admin gets 403.
 */
async function managed(req: FastifyRequest, accounts: AccountStore, slug: string): Promise<Organisation> {
  const org = await accounts.getOrganisation(slug);
  if (org && (await administersOrg(req, accounts, org.id))) return org;
  if (org) {
    const all = await accounts.listWorkspaces();
    const mine = new Set((req.principal?.memberships ?? []).map((m) => m.workspace.id));
    if (all.some((w) => w.orgId === org.id && mine.has(w.id)))
      throw errors.forbidden(`only the admins of the organisation ${slug} manage it`, {
        needs: 'organisation admin',
      });
  }
  throw errors.notFound('organisation', slug);
}

/**
 * Organisations hold workspaces. GET /orgs: the caller's; POST /orgs: a new one with its first workspace and
 * admin (the install's admins: admins of the `default` workspace); GET/PUT/DELETE /orgs/{slug}/admins: its
 * admins, managed by them.
 */
export async function orgRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);

  r.get(
    '/orgs',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: "The caller's organisations: those holding their workspaces, and those they administer",
        response: { 200: z.object({ orgs: z.array(OrgListing) }), ...problems(401) },
      },
    },
    async (req) => {
      const [orgs, all] = await Promise.all([accounts().listOrganisations(), accounts().listWorkspaces()]);
      const mine = new Set((req.principal?.memberships ?? []).map((m) => m.workspace.id));
      const out = [];
      for (const o of orgs) {
        const workspaces = all.filter((w) => w.orgId === o.id && mine.has(w.id)).map((w) => w.slug);
        const admin = await administersOrg(req, accounts(), o.id);
        if (admin || workspaces.length > 0) out.push({ ...organisationView(o), admin, workspaces });
      }
      return { orgs: out };
    },
  );

  r.post(
    '/orgs',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary:
          'Creates an organisation with its first workspace and admin (admins of the default workspace)',
        body: NewOrganisation,
        response: {
          201: z.object({ org: OrganisationView, workspace: WorkspaceView }),
          ...problems(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      if (!isInstallAdmin(req))
        throw errors.forbidden(
          'organisations are created by the admins of the default workspace (signed in, not with a key)',
          {
            needs: 'admin of default',
          },
        );
      const b = req.body;
      let adminUserId = userOf(req)?.id ?? null;
      if (b.admin_email) {
        const u = await accounts().findUserByEmail(b.admin_email);
        if (!u) throw errors.notFound('user', b.admin_email);
        adminUserId = u.id;
      }
      const made = await accounts().createOrganisation(
        { slug: b.slug, name: b.name, workspace: b.workspace ?? { slug: b.slug, name: b.name }, adminUserId },
        auditActorOf(req),
      );
      return reply
        .code(201)
        .send({ org: organisationView(made.organisation), workspace: workspaceView(made.workspace) });
    },
  );

  r.get(
    '/orgs/:slug/admins',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: "An organisation's admins (to its admins)",
        params: OrgSlug,
        response: { 200: z.object({ admins: z.array(UserView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const org = await managed(req, accounts(), req.params.slug);
      return { admins: (await accounts().orgAdmins(org.id)).map(userView) };
    },
  );

  r.put(
    '/orgs/:slug/admins',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: 'Makes an existing user an admin of the organisation (its admins)',
        params: OrgSlug,
        body: z.strictObject({ email: EMAIL }),
        response: { 200: z.object({ admins: z.array(UserView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const org = await managed(req, accounts(), req.params.slug);
      const u = await accounts().findUserByEmail(req.body.email);
      if (!u) throw errors.notFound('user', req.body.email);
      await accounts().setOrgAdmin(org.id, u.id, true, auditActorOf(req));
      return { admins: (await accounts().orgAdmins(org.id)).map(userView) };
    },
  );

  r.delete(
    '/orgs/:slug/admins/:userId',
    {
      config: { permission: 'signed-in' },
      schema: {
        summary: 'Removes an admin of the organisation (its admins; an organisation keeps one)',
        params: OrgUser,
        response: { 200: z.object({ admins: z.array(UserView) }), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const org = await managed(req, accounts(), req.params.slug);
      const admins = await accounts().orgAdmins(org.id);
      if (!admins.some((a) => a.id === req.params.userId))
        throw errors.notFound('organisation admin', String(req.params.userId));
      // the default organisation is administered by the default workspace's admins as well
      if (admins.length <= 1 && org.id !== DEFAULT_ORG_ID)
        throw errors.conflict('an organisation keeps at least one admin: name another first');
      await accounts().setOrgAdmin(org.id, req.params.userId, false, auditActorOf(req));
      return { admins: (await accounts().orgAdmins(org.id)).map(userView) };
    },
  );
}
