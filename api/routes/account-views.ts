/**
 * The answers of the account routes (me, workspaces, members, keys, audit, settings): zod schemas and the
 * functions turning the store's records into them. No token, key hash or audit hash is ever among them: a
 * key is shown by its `prefix`.
 */
import { z } from 'zod';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Role } from '../../accounts/roles.ts';
import type { ApiKeyInfo, AuditEntry, Organisation, User, Workspace } from '../../accounts/types.ts';

export const RoleSchema = z.enum(ROLES);

/** The query of a route with no parameters of its own: the workspace may be named there (api/auth/scope.ts). */
export const WorkspaceQuery = z.strictObject({
  workspace: z.string().optional().describe('the workspace (else the x-evalhouse-workspace header)'),
});
export const PermissionSchema = z.enum(Object.keys(PERMISSIONS) as [keyof typeof PERMISSIONS]);

export const UserView = z.object({ id: z.number().int(), email: z.string(), name: z.string().nullable() });
export const userView = (u: Pick<User, 'id' | 'email' | 'name'>) => ({
  id: u.id,
  email: u.email,
  name: u.name,
});

export const WorkspaceView = z.object({
  id: z.number().int(),
  org_id: z.number().int().describe('the organisation holding it (GET /orgs)'),
  slug: z.string(),
  name: z.string(),
  retention_days: z.number().int().nullable().describe('results older than this are deleted; null: kept'),
  created_at: z.string(),
});
export const workspaceView = (w: Workspace) => ({
  id: w.id,
  org_id: w.orgId,
  slug: w.slug,
  name: w.name,
  retention_days: w.retentionDays,
  created_at: w.createdAt,
});

export const MemberView = z.object({ user: UserView, role: RoleSchema });

export const KeyView = z.object({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string().describe("the key's first characters, to recognise it (never the key)"),
  workspace: z.string(),
  role: RoleSchema,
  created_by: UserView.nullable().describe('whose key it is (null: that user no longer exists)'),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export const keyView = (k: ApiKeyInfo, owner: Pick<User, 'id' | 'email' | 'name'> | null) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  workspace: k.workspace.slug,
  role: k.role,
  created_by: owner ? userView(owner) : null,
  created_at: k.createdAt,
  expires_at: k.expiresAt,
  last_used_at: k.lastUsedAt,
  revoked_at: k.revokedAt,
});

/** Which of a workspace's two logs an entry is in: the control database's (accounts) or its own (data). */
export const AuditDatabase = z.enum(['control', 'workspace']);
export type AuditDatabase = z.infer<typeof AuditDatabase>;

export const AuditEntryView = z.object({
  id: z.number().int(),
  database: AuditDatabase,
  at: z.string(),
  action: z.string(),
  resource: z.string(),
  actor: z.object({
    user_id: z.number().int().nullable(),
    email: z.string().nullable(),
    role: RoleSchema.nullable(),
    key_id: z.number().int().nullable(),
  }),
  before: z.unknown().describe('the resource before the change, where it applies'),
  after: z.unknown().describe('the resource after the change, where it applies'),
  request_id: z.string().nullable(),
  address: z.string().nullable(),
});
export const auditEntryView = (e: AuditEntry, database: AuditDatabase) => ({
  id: e.id,
  database,
  at: e.at,
  action: e.action,
  resource: e.resource,
  actor: {
    user_id: e.actor.userId,
    email: e.actor.email,
    role: e.actor.role,
    key_id: e.actor.keyId,
  },
  before: e.before ?? null,
  after: e.after ?? null,
  request_id: e.requestId,
  address: e.address,
});

/** What each role allows, for GET /me (from accounts/roles.ts, the one table). */
export const RolesView = z.record(
  RoleSchema,
  z.object({ permissions: z.array(PermissionSchema), description: z.string() }),
);
export const rolesView = () =>
  Object.fromEntries(
    ROLES.map((r: Role) => [
      r,
      {
        permissions: [...ROLE_PERMISSIONS[r]],
        description: ROLE_PERMISSIONS[r].map((p) => PERMISSIONS[p]).join('; '),
      },
    ]),
  ) as Record<Role, { permissions: (keyof typeof PERMISSIONS)[]; description: string }>;

export const OrganisationView = z.object({
  id: z.number().int(),
  slug: z.string(),
  name: z.string(),
  created_at: z.string(),
});
export const organisationView = (o: Organisation) => ({
  id: o.id,
  slug: o.slug,
  name: o.name,
  created_at: o.createdAt,
});
