import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { allows, roleAtMost } from '../../accounts/roles.ts';
import type { ApiKeyInfo, AuditActor, User } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import type { RouteOptions } from '../app.ts';
import { accountsOf, userOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { auditActorOf } from '../data-audit.ts';
import { KeyView, keyView, RoleSchema, WorkspaceQuery } from './account-views.ts';
import { problems } from './schemas.ts';

const NewKey = z.strictObject({
  name: z.string().trim().min(1).max(191),
  role: RoleSchema.describe("at most the caller's role in the workspace"),
  expires_in_days: z.number().int().min(1).max(3650).optional().describe('absent: the key does not expire'),
});
/**
 * The owner of keys created with auth off: a user of the server's own, member of no workspace, whose address
 * cannot receive mail nor sign in through a provider (`.invalid` is reserved, RFC 2606).
 */
export const LOCAL_USER_EMAIL = 'local@evalhouse.invalid';
const LOCAL_ACTOR: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: null,
  address: null,
};
const KeyId = z.strictObject({ id: z.coerce.number().int().min(1) });

/**
 * GET /keys, POST /keys, DELETE /keys/{id}: API keys of the request's workspace. Anyone who may read manages
 * their own keys (of a role up to theirs); admins see and revoke all of the workspace's. The token is in the
 * answer of POST once, and nowhere else.
 */
export async function keyRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);
  // auth off: the install's own user owns the keys made in the UI (they work once auth is on)
  const localUser = async () =>
    (await accounts().findUserByEmail(LOCAL_USER_EMAIL)) ??
    accounts().createUser({ email: LOCAL_USER_EMAIL, name: 'local user (auth off)' }, LOCAL_ACTOR);
  const owners = async (keys: ApiKeyInfo[]) => {
    const found = new Map<number, User | null>();
    for (const id of new Set(keys.map((k) => k.createdBy))) found.set(id, await accounts().getUser(id));
    return found;
  };

  r.get(
    '/keys',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          "The workspace's API keys (admins: all of them; others: their own), newest first; never the token",
        querystring: WorkspaceQuery,
        response: { 200: z.object({ keys: z.array(KeyView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace, role } = accessOf(req);
      const user = userOf(req);
      const keys = await accounts().listKeys(
        allows(role, 'admin') || !user
          ? { workspaceId: workspace.id }
          : { workspaceId: workspace.id, userId: user.id },
      );
      const by = await owners(keys);
      const sorted = [...keys].sort((a, b) => b.id - a.id);
      return { keys: sorted.map((k) => keyView(k, by.get(k.createdBy) ?? null)) };
    },
  );

  r.post(
    '/keys',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          "Creates an API key of the workspace with a role up to the caller's; 201 with the token, shown only here",
        querystring: WorkspaceQuery,
        body: NewKey,
        response: {
          201: z.object({
            key: KeyView,
            token: z
              .string()
              .describe('the key: send it as Authorization: Bearer <token>; it is not shown again'),
          }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const { workspace, role } = accessOf(req);
      const p = req.principal;
      if (p?.kind === 'key') throw errors.forbidden('API keys cannot create API keys: sign in to create one');
      const b = req.body;
      if (!roleAtMost(b.role, role)) {
        throw errors.forbidden(
          `a key's role may not exceed yours: you are ${role} here, the key asks for ${b.role}`,
          {
            role,
            asked: b.role,
          },
        );
      }
      const user = userOf(req) ?? (await localUser());
      const expiresAt =
        b.expires_in_days === undefined
          ? null
          : new Date(Date.now() + b.expires_in_days * 86_400_000).toISOString();
      const made = await accounts().createKey(
        { userId: user.id, workspaceId: workspace.id, role: b.role, name: b.name, expiresAt },
        auditActorOf(req),
      );
      return reply.code(201).send({ key: keyView(made.key, user), token: made.token });
    },
  );

  r.delete(
    '/keys/:id',
    {
      config: { permission: 'read' },
      schema: {
        summary: "Revokes a key: one's own, or any of the workspace's for admins",
        params: KeyId,
        querystring: WorkspaceQuery,
        response: { 200: KeyView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace, role } = accessOf(req);
      const key = (await accounts().listKeys({ workspaceId: workspace.id })).find(
        (k) => k.id === req.params.id,
      );
      // a key of another workspace is not revealed
      if (!key) throw errors.notFound('key', String(req.params.id));
      const user = userOf(req);
      if (!allows(role, 'admin') && key.createdBy !== user?.id) {
        throw errors.forbidden("only admins revoke other members' keys", { key: key.id });
      }
      const revoked = (await accounts().revokeKey(key.id, auditActorOf(req))) ?? key;
      return keyView(revoked, await accounts().getUser(revoked.createdBy));
    },
  );
}
