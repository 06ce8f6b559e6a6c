/** The account tables' rows as the contract's types (accounts/types.ts), from either engine. */
import type { Selectable } from 'kysely';
import { iso } from '../store/runs.ts';
import type { StoreTables } from '../store/schema.ts';
import type { StoreKysely } from './account-db.ts';
import { ROLES, type Role } from './roles.ts';
import type { ApiKeyInfo, Organisation, User, Workspace } from './types.ts';

/** ISO 8601 with milliseconds whatever the engine's text (DuckDB drops a zero fraction). */
export const instant = (v: unknown): string => new Date(iso(v)).toISOString();
export const instantOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : instant(v);

export function toWorkspace(r: Selectable<StoreTables['workspaces']>): Workspace {
  return {
    id: Number(r.id),
    orgId: Number(r.org_id),
    slug: r.slug,
    name: r.name,
    retentionDays: r.retention_days === null ? null : Number(r.retention_days),
    createdAt: instant(r.created_at),
  };
}

export type UserRow = Pick<
  Selectable<StoreTables['users']>,
  'id' | 'email' | 'name' | 'disabled' | 'created_at'
>;
export function toUser(r: UserRow): User {
  return {
    id: Number(r.id),
    email: r.email,
    name: r.name,
    createdAt: instant(r.created_at),
    disabled: Boolean(r.disabled), // MySQL's tinyint reads 0/1
  };
}

export function toRole(v: string): Role {
  if (!(ROLES as readonly string[]).includes(v)) throw new Error(`a stored role is unknown: ${v}`);
  return v as Role;
}

export const keySelect = (k: StoreKysely) =>
  k
    .selectFrom('api_keys as k')
    .innerJoin('workspaces as w', 'w.id', 'k.workspace_id')
    .select([
      'k.id',
      'k.name',
      'k.prefix',
      'k.workspace_id',
      'w.slug as workspace_slug',
      'k.role',
      'k.user_id',
      'k.created_at',
      'k.expires_at',
      'k.last_used_at',
      'k.revoked_at',
    ]);
export type KeyRow = Awaited<ReturnType<ReturnType<typeof keySelect>['executeTakeFirstOrThrow']>>;

export function toKey(r: KeyRow): ApiKeyInfo {
  return {
    id: Number(r.id),
    name: r.name,
    prefix: r.prefix,
    workspace: { id: Number(r.workspace_id), slug: r.workspace_slug },
    role: toRole(r.role),
    createdBy: Number(r.user_id),
    createdAt: instant(r.created_at),
    expiresAt: instantOrNull(r.expires_at),
    lastUsedAt: instantOrNull(r.last_used_at),
    revokedAt: instantOrNull(r.revoked_at),
  };
}

/** What an audit entry says of a key: never its token or hash. */
export const keyAudit = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  workspaceId: k.workspace.id,
  role: k.role,
  userId: k.createdBy,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
});

export function toOrganisation(r: Selectable<StoreTables['organisations']>): Organisation {
  return { id: Number(r.id), slug: r.slug, name: r.name, createdAt: instant(r.created_at) };
}
