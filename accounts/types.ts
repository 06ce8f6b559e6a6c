import type { Role } from './roles.ts';

/**
 * The contract between the accounts store (accounts/account-store.ts), the HTTP side (api/auth/) and the
 * tenancy (api/tenancy.ts). Ids are numbers (auto-increment in both engines); times are ISO 8601 UTC.
 */

/** An organisation holds workspaces; `default` (id 1) holds the ones made before organisations. */
export interface Organisation {
  id: number;
  slug: string;
  name: string;
  createdAt: string;
}

export interface Workspace {
  id: number;
  /** The organisation holding it. */
  orgId: number;
  slug: string;
  name: string;
  /** Days after which results are deleted by the retention job; null: kept forever. */
  retentionDays: number | null;
  createdAt: string;
}

export interface User {
  id: number;
  email: string;
  name: string | null;
  createdAt: string;
  disabled: boolean;
}

export interface Membership {
  workspace: Pick<Workspace, 'id' | 'slug' | 'name'>;
  role: Role;
}

/**
 * Who makes a request, resolved once per request by api/auth/ and read by the scoping function only:
 * - `local`: auth is off (embedded on loopback, or AUTH=off): admin of every workspace;
 * - `session`: a signed-in user (cookies), roles from their memberships;
 * - `key`: an API key, which has one workspace and one role.
 */
export type Principal =
  | { kind: 'local'; memberships: Membership[] }
  | { kind: 'session'; user: User; sessionFamily: string; memberships: Membership[] }
  | { kind: 'key'; user: User; keyId: number; keyName: string; memberships: Membership[] };

export interface ApiKeyInfo {
  id: number;
  name: string;
  /** The key's first characters, enough to recognise it (`ehk_ab12cd…`), never the key. */
  prefix: string;
  workspace: Pick<Workspace, 'id' | 'slug'>;
  role: Role;
  createdBy: number;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What happened, for the audit log: who, in which role, did what to which resource. */
export interface AuditEvent {
  /** e.g. `import.create`, `run.create`, `run.stop`, `run.delete`, `member.add`, `member.role`, `key.create`, `key.revoke`, `auth.sign_in`, `auth.sign_in_failed`, `retention.delete` */
  action: string;
  /** `run:42`, `workspace:default`, `user:3`, `key:7` */
  resource: string;
  workspaceId: number | null;
  actor: { userId: number | null; email: string | null; role: Role | null; keyId: number | null };
  before?: unknown;
  after?: unknown;
  requestId: string | null;
  address: string | null;
}

export interface AuditEntry extends AuditEvent {
  id: number;
  at: string;
  /** sha256 of the previous entry's hash and this entry's canonical content (hex). */
  hash: string;
  prevHash: string;
}

/** Audit context of a change: who asks (the request's principal, id and address). */
export type AuditActor = Pick<AuditEvent, 'actor' | 'requestId' | 'address'>;

/** Filters of GET /audit (all optional; `before` pages backwards by entry id). */
export interface AuditFilter {
  workspaceId?: number | null;
  from?: string;
  to?: string;
  userId?: number;
  action?: string;
  resource?: string;
  before?: number;
  limit?: number;
}

/**
 * One database's audit log: append-only and hash-chained. `append` runs on the given transaction when
 * one is passed (the change and its entry commit together), else in its own.
 */
export interface AuditLog {
  append(event: AuditEvent, trx?: unknown): Promise<AuditEntry>;
  list(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Recomputes the chain: `firstBad` is the first entry whose content or link does not match. */
  verify(): Promise<{ ok: boolean; checked: number; firstBad: { id: number; reason: string } | null }>;
}

/** What a rotated refresh token gives: the new token, or that an old one was replayed (family revoked). */
export type RefreshResult =
  | { ok: true; userId: number; family: string; refreshToken: string; expiresAt: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

/**
 * The accounts in the control database (accounts/account-store.ts). Mutations take the actor and write
 * their audit entry in the same transaction.
 */
export interface AccountStore {
  readonly audit: AuditLog;
  /** AUTH_SECRET, or one generated on first use and kept in the control database. */
  secret(): Promise<string>;

  /** A workspace in an organisation (default: `default`'s, id 1). */
  createWorkspace(slug: string, name: string, by: AuditActor, orgId?: number): Promise<Workspace>;
  getWorkspace(slug: string): Promise<Workspace | null>;
  getWorkspaceById(id: number): Promise<Workspace | null>;
  listWorkspaces(): Promise<Workspace[]>;
  setRetention(workspaceId: number, days: number | null, by: AuditActor): Promise<Workspace>;

  /** An organisation with its first workspace and its first admin (admin of that workspace too), at once. */
  createOrganisation(
    o: { slug: string; name: string; workspace: { slug: string; name: string }; adminUserId: number | null },
    by: AuditActor,
  ): Promise<{ organisation: Organisation; workspace: Workspace }>;
  getOrganisation(slug: string): Promise<Organisation | null>;
  getOrganisationById(id: number): Promise<Organisation | null>;
  listOrganisations(): Promise<Organisation[]>;
  /** The organisations a user administers (ids). */
  orgAdminOf(userId: number): Promise<number[]>;
  orgAdmins(orgId: number): Promise<User[]>;
  /** Makes (true) or unmakes (false) a user an admin of an organisation. */
  setOrgAdmin(orgId: number, userId: number, admin: boolean, by: AuditActor): Promise<void>;

  createUser(
    u: { email: string; name?: string | null; password?: string | null },
    by: AuditActor,
  ): Promise<User>;
  getUser(id: number): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  setPassword(userId: number, password: string, by: AuditActor): Promise<void>;
  /** The user when the password matches (argon2id); null otherwise, in about the same time. */
  verifyPassword(email: string, password: string): Promise<User | null>;
  /** The user an external identity (Google `sub`, GitHub id) is linked to. */
  findUserByIdentity(provider: 'google' | 'github', subject: string): Promise<User | null>;
  linkIdentity(provider: 'google' | 'github', subject: string, userId: number): Promise<void>;

  memberships(userId: number): Promise<Membership[]>;
  members(workspaceId: number): Promise<{ user: User; role: Role }[]>;
  /** Adds, changes (role) or removes (null) a membership. */
  setMembership(userId: number, workspaceId: number, role: Role | null, by: AuditActor): Promise<void>;

  /** The new key's token is returned once and never stored. */
  createKey(
    k: { userId: number; workspaceId: number; role: Role; name: string; expiresAt: string | null },
    by: AuditActor,
  ): Promise<{ key: ApiKeyInfo; token: string }>;
  /** A live (not revoked, not expired) key and its creator; stamps last-used. */
  authenticateKey(token: string): Promise<{ key: ApiKeyInfo; user: User } | null>;
  listKeys(filter: { workspaceId?: number; userId?: number }): Promise<ApiKeyInfo[]>;
  revokeKey(id: number, by: AuditActor): Promise<ApiKeyInfo | null>;

  /** A new refresh family for a sign-in; `audit` (the sign-in's entry) is written in its transaction. */
  createSession(
    userId: number,
    meta: { address: string | null; userAgent: string | null },
    audit?: AuditEvent,
  ): Promise<{ family: string; refreshToken: string; expiresAt: string }>;
  rotateRefresh(refreshToken: string): Promise<RefreshResult>;
  /** Whether the family is neither revoked nor expired (access tokens name it). */
  sessionAlive(family: string): Promise<boolean>;
  revokeFamily(family: string): Promise<void>;
}
