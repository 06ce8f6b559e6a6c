import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Role, roleAtMost } from '../../accounts/roles.ts';
import type { AccountStore, AuditActor } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { accountsOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { auditActorOf } from '../data-audit.ts';
import { MemberView, RoleSchema, userView, WorkspaceQuery } from './account-views.ts';
import { problems } from './schemas.ts';

export const EMAIL = z.string().trim().toLowerCase().max(254).email();

const PutMember = z.strictObject({
  email: EMAIL,
  role: RoleSchema,
  name: z.string().trim().min(1).max(191).optional().describe("the user's name, when they are new"),
});
const UserId = z.strictObject({ userId: z.coerce.number().int().min(1) });

/**
 * A member's keys of the workspace may not outlive their membership or exceed their role: a key's principal
 * carries its own role, so a removed or demoted member's keys above the new role are revoked with the change.
 */
async function revokeKeysAbove(
  accounts: AccountStore,
  workspaceId: number,
  userId: number,
  role: Role | null,
  by: AuditActor,
) {
  for (const k of await accounts.listKeys({ workspaceId, userId })) {
    if (k.revokedAt === null && (role === null || !roleAtMost(k.role, role)))
      await accounts.revokeKey(k.id, by);
  }
}

/** GET /members, PUT /members (add by email or change a role), DELETE /members/{userId}: admins only. */
export async function memberRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);
  r.get(
    '/members',
    {
      config: { permission: 'admin' },
      schema: {
        summary: "The members of the request's workspace and their roles",
        querystring: WorkspaceQuery,
        response: { 200: z.object({ members: z.array(MemberView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace } = accessOf(req);
      const members = await accounts().members(workspace.id);
      return { members: members.map((m) => ({ user: userView(m.user), role: m.role })) };
    },
  );

  r.put(
    '/members',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          'Adds a member by email (creating the user, without a password, when unknown) or changes their role; 409 for the last admin',
        querystring: WorkspaceQuery,
        body: PutMember,
        response: { 200: MemberView, 201: MemberView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { workspace } = accessOf(req);
      const { email, role, name } = req.body;
      const by = auditActorOf(req);
      let user = await accounts().findUserByEmail(email);
      const isNew = !user;
      if (!user) user = await accounts().createUser({ email, name: name ?? null }, by);
      const current = (await accounts().members(workspace.id)).find((m) => m.user.id === user.id);
      if (current?.role !== role) {
        // the store refuses (409) to demote the last admin, in the change's transaction
        await accounts().setMembership(user.id, workspace.id, role, by);
        if (current) await revokeKeysAbove(accounts(), workspace.id, user.id, role, by);
      }
      return reply.code(isNew || !current ? 201 : 200).send({ user: userView(user), role });
    },
  );

  r.delete(
    '/members/:userId',
    {
      config: { permission: 'admin' },
      schema: {
        summary: 'Removes a member from the workspace (their keys of it are revoked); 409 for the last admin',
        params: UserId,
        querystring: WorkspaceQuery,
        response: { 204: z.null().describe('removed'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { workspace } = accessOf(req);
      const { userId } = req.params;
      const member = (await accounts().members(workspace.id)).find((m) => m.user.id === userId);
      if (!member) throw errors.notFound('member', String(userId));
      const by = auditActorOf(req);
      await accounts().setMembership(userId, workspace.id, null, by);
      await revokeKeysAbove(accounts(), workspace.id, userId, null, by);
      return reply.code(204).send(null);
    },
  );
}
