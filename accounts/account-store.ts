import { randomBytes, randomUUID } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { AuthConfig } from '../core/config.ts';
import { errors } from '../core/errors.ts';
import { sqlTimestamp } from '../store/runs.ts';
import {
  checkName,
  checkPassword,
  checkRole,
  checkSlug,
  isDuplicate,
  MAX_NAME,
  MAX_PASSWORD,
  normalEmail,
} from './account-checks.ts';
import type { AccountDb, StoreKysely } from './account-db.ts';
import {
  instant,
  keyAudit,
  keySelect,
  toKey,
  toOrganisation,
  toRole,
  toUser,
  toWorkspace,
} from './account-rows.ts';
import { appendAudit, KyselyAuditLog } from './audit-log.ts';
import { DEFAULT_ORG_ID, type Role } from './roles.ts';
import { KEY_PREFIX, newToken, REFRESH_PREFIX, SHOWN_CHARS, tokenHash } from './tokens.ts';
import type {
  AccountStore,
  ApiKeyInfo,
  AuditActor,
  AuditEvent,
  AuditLog,
  Membership,
  Organisation,
  RefreshResult,
  User,
  Workspace,
} from './types.ts';

/** A key's last use is stamped at most this often (a write per request would serialize requests on DuckDB). */
const LAST_USED_EVERY_MS = 60_000;

export interface AccountStoreOptions {
  auth: Pick<AuthConfig, 'secret' | 'refreshTtlS'>;
  /** The time (tests move it). */
  clock?: () => Date;
}

/**
 * The accounts of the control database, over its Kysely: one implementation for MySQL and DuckDB
 * (their one difference, how a transaction opens, is AccountDb's). Every mutation that takes an actor
 * writes its audit entry in the same transaction, so a change and its record commit or fail together.
 */
export class KyselyAccountStore implements AccountStore {
  readonly audit: AuditLog;
  private readonly clock: () => Date;
  private secretValue: Promise<string> | null = null;
  /** A hash no password matches: an unknown email costs one verification too (no timing oracle). */
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly db: AccountDb,
    private readonly opts: AccountStoreOptions,
  ) {
    this.audit = new KyselyAuditLog(db);
    this.clock = opts.clock ?? (() => new Date());
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }

  private now(): string {
    return sqlTimestamp(this.nowIso())!;
  }

  private record(trx: StoreKysely, by: AuditActor, e: Omit<AuditEvent, keyof AuditActor>) {
    return appendAudit(trx, this.db.dialect, { ...e, ...by }, this.clock());
  }

  secret(): Promise<string> {
    if (this.opts.auth.secret) return Promise.resolve(this.opts.auth.secret);
    this.secretValue ??= this.loadSecret().catch((err) => {
      this.secretValue = null;
      throw err;
    });
    return this.secretValue;
  }

  /** The generated secret: inserted if absent (two processes racing keep the first), then read. */
  private async loadSecret(): Promise<string> {
    const read = () =>
      this.db.kysely.selectFrom('settings').select('value').where('name', '=', 'secret').executeTakeFirst();
    const have = await read();
    if (have) return have.value;
    await this.db.transaction((trx) =>
      trx
        .insertInto('settings')
        .orIgnore()
        .values({ name: 'secret', value: randomBytes(32).toString('hex') })
        .execute(),
    );
    const row = await read();
    if (!row) throw new Error('the generated secret was not stored');
    return row.value;
  }

  // --- workspaces

  async createWorkspace(
    slug: string,
    name: string,
    by: AuditActor,
    orgId = DEFAULT_ORG_ID,
  ): Promise<Workspace> {
    checkSlug('a workspace slug', slug);
    const n = checkName('a workspace name', name);
    try {
      return await this.db.transaction((trx) => this.insertWorkspace(trx, slug, n, orgId, by));
    } catch (err) {
      if (isDuplicate(err)) throw errors.conflict(`the workspace ${slug} exists`);
      throw err;
    }
  }

  private async insertWorkspace(
    trx: StoreKysely,
    slug: string,
    name: string,
    orgId: number,
    by: AuditActor,
  ): Promise<Workspace> {
    const taken = await trx.selectFrom('workspaces').select('id').where('slug', '=', slug).executeTakeFirst();
    if (taken) throw errors.conflict(`the workspace ${slug} exists`);
    const org = await trx
      .selectFrom('organisations')
      .select('slug')
      .where('id', '=', orgId)
      .executeTakeFirst();
    if (!org) throw errors.notFound('organisation', String(orgId));
    await trx.insertInto('workspaces').values({ slug, name, org_id: orgId }).execute();
    const w = toWorkspace(
      await trx.selectFrom('workspaces').selectAll().where('slug', '=', slug).executeTakeFirstOrThrow(),
    );
    await this.record(trx, by, {
      action: 'workspace.create',
      resource: `workspace:${slug}`,
      workspaceId: w.id,
      after: { id: w.id, slug: w.slug, name: w.name, org: org.slug, retentionDays: w.retentionDays },
    });
    return w;
  }

  // --- organisations

  async createOrganisation(
    o: { slug: string; name: string; workspace: { slug: string; name: string }; adminUserId: number | null },
    by: AuditActor,
  ): Promise<{ organisation: Organisation; workspace: Workspace }> {
    checkSlug('an organisation slug', o.slug);
    checkSlug('a workspace slug', o.workspace.slug);
    const name = checkName('an organisation name', o.name);
    const wsName = checkName('a workspace name', o.workspace.name);
    try {
      // one transaction: an organisation never exists without its first workspace and admin
      return await this.db.transaction(async (trx) => {
        const taken = await trx
          .selectFrom('organisations')
          .select('id')
          .where('slug', '=', o.slug)
          .executeTakeFirst();
        if (taken) throw errors.conflict(`the organisation ${o.slug} exists`);
        const admin =
          o.adminUserId === null
            ? null
            : await trx.selectFrom('users').selectAll().where('id', '=', o.adminUserId).executeTakeFirst();
        if (o.adminUserId !== null && !admin) throw errors.notFound('user', String(o.adminUserId));
        await trx.insertInto('organisations').values({ slug: o.slug, name }).execute();
        const organisation = toOrganisation(
          await trx
            .selectFrom('organisations')
            .selectAll()
            .where('slug', '=', o.slug)
            .executeTakeFirstOrThrow(),
        );
        await this.record(trx, by, {
          action: 'org.create',
          resource: `org:${o.slug}`,
          workspaceId: null,
          after: { id: organisation.id, slug: organisation.slug, name: organisation.name },
        });
        const workspace = await this.insertWorkspace(trx, o.workspace.slug, wsName, organisation.id, by);
        if (admin) {
          const userId = Number(admin.id);
          await trx.insertInto('org_admins').values({ org_id: organisation.id, user_id: userId }).execute();
          await this.record(trx, by, {
            action: 'org.admin_add',
            resource: `user:${userId}`,
            workspaceId: null,
            after: { org: o.slug, userId, email: admin.email },
          });
          await this.insertMembership(trx, by, { userId, email: admin.email }, workspace.id, 'admin');
        }
        return { organisation, workspace };
      });
    } catch (err) {
      if (isDuplicate(err))
        throw errors.conflict(`the organisation ${o.slug} or workspace ${o.workspace.slug} exists`);
      throw err;
    }
  }

  async getOrganisation(slug: string): Promise<Organisation | null> {
    const r = await this.db.kysely
      .selectFrom('organisations')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirst();
    return r ? toOrganisation(r) : null;
  }

  async getOrganisationById(id: number): Promise<Organisation | null> {
    const r = await this.db.kysely
      .selectFrom('organisations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toOrganisation(r) : null;
  }

  async listOrganisations(): Promise<Organisation[]> {
    const rows = await this.db.kysely.selectFrom('organisations').selectAll().orderBy('id').execute();
    return rows.map(toOrganisation);
  }

  async orgAdminOf(userId: number): Promise<number[]> {
    const rows = await this.db.kysely
      .selectFrom('org_admins')
      .select('org_id')
      .where('user_id', '=', userId)
      .orderBy('org_id')
      .execute();
    return rows.map((r) => Number(r.org_id));
  }

  async orgAdmins(orgId: number): Promise<User[]> {
    const rows = await this.db.kysely
      .selectFrom('org_admins')
      .innerJoin('users', 'users.id', 'org_admins.user_id')
      .selectAll('users')
      .where('org_admins.org_id', '=', orgId)
      .orderBy('users.id')
      .execute();
    return rows.map(toUser);
  }

  async setOrgAdmin(orgId: number, userId: number, admin: boolean, by: AuditActor): Promise<void> {
    await this.db.transaction(async (trx) => {
      const org = await trx
        .selectFrom('organisations')
        .select('slug')
        .where('id', '=', orgId)
        .executeTakeFirst();
      if (!org) throw errors.notFound('organisation', String(orgId));
      const user = await trx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      if (!user) throw errors.notFound('user', String(userId));
      const have = await trx
        .selectFrom('org_admins')
        .select('user_id')
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Boolean(have) === admin) return;
      const entry = { org: org.slug, userId, email: user.email };
      if (admin) {
        await trx.insertInto('org_admins').values({ org_id: orgId, user_id: userId }).execute();
        await this.record(trx, by, {
          action: 'org.admin_add',
          resource: `user:${userId}`,
          workspaceId: null,
          after: entry,
        });
      } else {
        await trx
          .deleteFrom('org_admins')
          .where('org_id', '=', orgId)
          .where('user_id', '=', userId)
          .execute();
        await this.record(trx, by, {
          action: 'org.admin_remove',
          resource: `user:${userId}`,
          workspaceId: null,
          before: entry,
        });
      }
    });
  }

  async getWorkspace(slug: string): Promise<Workspace | null> {
    const r = await this.db.kysely
      .selectFrom('workspaces')
      .selectAll()
      .where('slug', '=', slug)
      .executeTakeFirst();
    return r ? toWorkspace(r) : null;
  }

  async getWorkspaceById(id: number): Promise<Workspace | null> {
    const r = await this.db.kysely
      .selectFrom('workspaces')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toWorkspace(r) : null;
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const rows = await this.db.kysely.selectFrom('workspaces').selectAll().orderBy('id').execute();
    return rows.map(toWorkspace);
  }

  async setRetention(workspaceId: number, days: number | null, by: AuditActor): Promise<Workspace> {
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 100_000)) {
      throw errors.badRequest(
        'retention_days is a whole number of days from 1 to 100000, or null (kept forever)',
      );
    }
    return this.db.transaction(async (trx) => {
      const row = await trx
        .selectFrom('workspaces')
        .selectAll()
        .where('id', '=', workspaceId)
        .executeTakeFirst();
      if (!row) throw errors.notFound('workspace', String(workspaceId));
      const before = toWorkspace(row);
      if (before.retentionDays === days) return before;
      await trx
        .updateTable('workspaces')
        .set({ retention_days: days })
        .where('id', '=', workspaceId)
        .execute();
      await this.record(trx, by, {
        action: 'workspace.retention',
        resource: `workspace:${before.slug}`,
        workspaceId,
        before: { retentionDays: before.retentionDays },
        after: { retentionDays: days },
      });
      return { ...before, retentionDays: days };
    });
  }

  // --- users

  async createUser(
    u: { email: string; name?: string | null; password?: string | null },
    by: AuditActor,
  ): Promise<User> {
    const email = normalEmail(u.email);
    const name = u.name == null || u.name.trim() === '' ? null : checkName('a user name', u.name);
    if (u.password != null) checkPassword(u.password);
    // hashed before the transaction: argon2 takes tens of milliseconds, the writer need not wait
    const passwordHash = u.password == null ? null : await argonHash(u.password); // argon2id: the default
    try {
      return await this.db.transaction(async (trx) => {
        const taken = await trx
          .selectFrom('users')
          .select('id')
          .where('email', '=', email)
          .executeTakeFirst();
        if (taken) throw errors.conflict('a user with this email exists');
        await trx.insertInto('users').values({ email, name, password_hash: passwordHash }).execute();
        const user = toUser(
          await trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow(),
        );
        await this.record(trx, by, {
          action: 'user.create',
          resource: `user:${user.id}`,
          workspaceId: null,
          after: { id: user.id, email: user.email, name: user.name, password: passwordHash !== null },
        });
        return user;
      });
    } catch (err) {
      if (isDuplicate(err)) throw errors.conflict('a user with this email exists');
      throw err;
    }
  }

  async getUser(id: number): Promise<User | null> {
    const r = await this.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const e = email.trim().toLowerCase();
    const r = await this.db.kysely.selectFrom('users').selectAll().where('email', '=', e).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async setPassword(userId: number, password: string, by: AuditActor): Promise<void> {
    checkPassword(password);
    const h = await argonHash(password);
    await this.db.transaction(async (trx) => {
      const r = await trx.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (!r) throw errors.notFound('user', String(userId));
      await trx.updateTable('users').set({ password_hash: h }).where('id', '=', userId).execute();
      await this.record(trx, by, {
        action: 'user.password',
        resource: `user:${userId}`,
        workspaceId: null,
        after: { password: true },
      });
    });
  }

  async verifyPassword(email: string, password: string): Promise<User | null> {
    const e = email.trim().toLowerCase();
    const r = await this.db.kysely.selectFrom('users').selectAll().where('email', '=', e).executeTakeFirst();
    if (!r || r.password_hash === null || r.disabled || password.length > MAX_PASSWORD) {
      this.dummyHash ??= argonHash(randomBytes(16).toString('hex'));
      await argonVerify(await this.dummyHash, password.slice(0, MAX_PASSWORD)).catch(() => false);
      return null;
    }
    const ok = await argonVerify(r.password_hash, password).catch(() => false);
    return ok ? toUser(r) : null;
  }

  async findUserByIdentity(provider: 'google' | 'github', subject: string): Promise<User | null> {
    const r = await this.db.kysely
      .selectFrom('identities as i')
      .innerJoin('users as u', 'u.id', 'i.user_id')
      .select(['u.id', 'u.email', 'u.name', 'u.disabled', 'u.created_at'])
      .where('i.provider', '=', provider)
      .where('i.subject', '=', subject)
      .executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async linkIdentity(provider: 'google' | 'github', subject: string, userId: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      const have = await trx
        .selectFrom('identities')
        .select('user_id')
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (have) {
        if (Number(have.user_id) !== userId)
          throw errors.conflict(`this ${provider} account is linked to another user`);
        return;
      }
      await trx.insertInto('identities').values({ provider, subject, user_id: userId }).execute();
    });
  }

  // --- memberships

  async memberships(userId: number): Promise<Membership[]> {
    const rows = await this.db.kysely
      .selectFrom('memberships as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .select(['w.id', 'w.slug', 'w.name', 'm.role'])
      .where('m.user_id', '=', userId)
      .orderBy('w.id')
      .execute();
    return rows.map((r) => ({
      workspace: { id: Number(r.id), slug: r.slug, name: r.name },
      role: toRole(r.role),
    }));
  }

  async members(workspaceId: number): Promise<{ user: User; role: Role }[]> {
    const rows = await this.db.kysely
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.email', 'u.name', 'u.disabled', 'u.created_at', 'm.role'])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('u.email')
      .execute();
    return rows.map((r) => ({ user: toUser(r), role: toRole(r.role) }));
  }

  /**
   * Adds, changes or (null) removes a membership. Demoting or removing a workspace's last admin is
   * refused (409): the check runs in the change's transaction.
   */
  /** A new membership and its `member.add` entry, in the caller's transaction. */
  private async insertMembership(
    trx: StoreKysely,
    by: AuditActor,
    user: { userId: number; email: string },
    workspaceId: number,
    role: Role,
  ): Promise<void> {
    const { userId, email } = user;
    await trx
      .insertInto('memberships')
      .values({ user_id: userId, workspace_id: workspaceId, role })
      .execute();
    await this.record(trx, by, {
      action: 'member.add',
      resource: `user:${userId}`,
      workspaceId,
      before: null,
      after: { userId, email, role },
    });
  }

  async setMembership(userId: number, workspaceId: number, role: Role | null, by: AuditActor): Promise<void> {
    const want = role === null ? null : checkRole(role);
    await this.db.transaction(async (trx) => {
      const user = await trx
        .selectFrom('users')
        .select(['id', 'email'])
        .where('id', '=', userId)
        .executeTakeFirst();
      if (!user) throw errors.notFound('user', String(userId));
      const ws = await trx
        .selectFrom('workspaces')
        .select('id')
        .where('id', '=', workspaceId)
        .executeTakeFirst();
      if (!ws) throw errors.notFound('workspace', String(workspaceId));
      const have = await trx
        .selectFrom('memberships')
        .select('role')
        .where('user_id', '=', userId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      const was = have ? toRole(have.role) : null;
      if (was === want) return;
      if (was === 'admin') {
        // MySQL: the admins' rows locked, so two admins demoting each other at once cannot leave none
        // (DuckDB: one writer)
        let admins = trx
          .selectFrom('memberships')
          .select('user_id')
          .where('workspace_id', '=', workspaceId)
          .where('role', '=', 'admin');
        if (this.db.dialect === 'mysql') admins = admins.forUpdate();
        if ((await admins.execute()).length <= 1)
          throw errors.conflict('a workspace keeps at least one admin');
      }
      const member = (r: Role | null) => (r === null ? null : { userId, email: user.email, role: r });
      const common = { resource: `user:${userId}`, workspaceId, before: member(was), after: member(want) };
      if (want === null) {
        await trx
          .deleteFrom('memberships')
          .where('user_id', '=', userId)
          .where('workspace_id', '=', workspaceId)
          .execute();
        await this.record(trx, by, { action: 'member.remove', ...common });
      } else if (was === null) {
        await this.insertMembership(trx, by, { userId, email: user.email }, workspaceId, want);
      } else {
        await trx
          .updateTable('memberships')
          .set({ role: want })
          .where('user_id', '=', userId)
          .where('workspace_id', '=', workspaceId)
          .execute();
        await this.record(trx, by, { action: 'member.role', ...common });
      }
    });
  }

  // --- API keys

  async createKey(
    k: { userId: number; workspaceId: number; role: Role; name: string; expiresAt: string | null },
    by: AuditActor,
  ): Promise<{ key: ApiKeyInfo; token: string }> {
    const role = checkRole(k.role);
    const name = checkName('a key name', k.name);
    if (k.expiresAt !== null && Number.isNaN(Date.parse(k.expiresAt))) {
      throw errors.badRequest('expires_at is an ISO 8601 instant');
    }
    const secret = await this.secret();
    const token = newToken(KEY_PREFIX);
    const hash = tokenHash(secret, token);
    const key = await this.db.transaction(async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('id', '=', k.userId).executeTakeFirst();
      if (!user) throw errors.notFound('user', String(k.userId));
      const ws = await trx
        .selectFrom('workspaces')
        .select('id')
        .where('id', '=', k.workspaceId)
        .executeTakeFirst();
      if (!ws) throw errors.notFound('workspace', String(k.workspaceId));
      await trx
        .insertInto('api_keys')
        .values({
          name,
          prefix: token.slice(0, SHOWN_CHARS),
          token_hash: hash,
          workspace_id: k.workspaceId,
          user_id: k.userId,
          role,
          expires_at: sqlTimestamp(k.expiresAt),
        })
        .execute();
      const info = toKey(await keySelect(trx).where('k.token_hash', '=', hash).executeTakeFirstOrThrow());
      await this.record(trx, by, {
        action: 'key.create',
        resource: `key:${info.id}`,
        workspaceId: info.workspace.id,
        after: keyAudit(info),
      });
      return info;
    });
    return { key, token };
  }

  async authenticateKey(token: string): Promise<{ key: ApiKeyInfo; user: User } | null> {
    if (!token.startsWith(KEY_PREFIX) || token.length > 200) return null;
    const hash = tokenHash(await this.secret(), token);
    const row = await keySelect(this.db.kysely).where('k.token_hash', '=', hash).executeTakeFirst();
    if (!row) return null;
    const key = toKey(row);
    const now = this.clock();
    if (key.revokedAt !== null) return null;
    if (key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime()) return null;
    const user = await this.getUser(key.createdBy);
    if (!user || user.disabled) return null;
    if (key.lastUsedAt === null || now.getTime() - Date.parse(key.lastUsedAt) >= LAST_USED_EVERY_MS) {
      await this.db.transaction((trx) =>
        trx
          .updateTable('api_keys')
          .set({ last_used_at: sqlTimestamp(now.toISOString()) })
          .where('id', '=', key.id)
          .execute(),
      );
      key.lastUsedAt = now.toISOString();
    }
    return { key, user };
  }

  async listKeys(filter: { workspaceId?: number; userId?: number }): Promise<ApiKeyInfo[]> {
    let q = keySelect(this.db.kysely);
    if (filter.workspaceId !== undefined) q = q.where('k.workspace_id', '=', filter.workspaceId);
    if (filter.userId !== undefined) q = q.where('k.user_id', '=', filter.userId);
    return (await q.orderBy('k.id').execute()).map(toKey);
  }

  async revokeKey(id: number, by: AuditActor): Promise<ApiKeyInfo | null> {
    return this.db.transaction(async (trx) => {
      const row = await keySelect(trx).where('k.id', '=', id).executeTakeFirst();
      if (!row) return null;
      const before = toKey(row);
      if (before.revokedAt !== null) return before;
      const at = this.nowIso();
      await trx
        .updateTable('api_keys')
        .set({ revoked_at: sqlTimestamp(at) })
        .where('id', '=', id)
        .execute();
      const after = { ...before, revokedAt: at };
      await this.record(trx, by, {
        action: 'key.revoke',
        resource: `key:${id}`,
        workspaceId: before.workspace.id,
        before: keyAudit(before),
        after: keyAudit(after),
      });
      return after;
    });
  }

  // --- sessions

  async createSession(
    userId: number,
    meta: { address: string | null; userAgent: string | null },
    audit?: AuditEvent,
  ): Promise<{ family: string; refreshToken: string; expiresAt: string }> {
    const secret = await this.secret();
    const family = randomUUID();
    const refreshToken = newToken(REFRESH_PREFIX);
    const expiresAt = new Date(this.clock().getTime() + this.opts.auth.refreshTtlS * 1000).toISOString();
    await this.db.transaction(async (trx) => {
      await trx
        .insertInto('session_families')
        .values({
          family,
          user_id: userId,
          address: meta.address?.slice(0, MAX_NAME) ?? null,
          user_agent: meta.userAgent?.slice(0, 512) ?? null,
          expires_at: sqlTimestamp(expiresAt)!,
        })
        .execute();
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash(secret, refreshToken), family })
        .execute();
      if (audit) await appendAudit(trx, this.db.dialect, audit, this.clock());
    });
    return { family, refreshToken, expiresAt };
  }

  /**
   * Uses a refresh token once: marks it used and issues its successor in the same family, in one
   * transaction. A token used before (a replay, or a stolen copy) revokes the whole family.
   */
  async rotateRefresh(refreshToken: string): Promise<RefreshResult> {
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 200)
      return { ok: false, reason: 'unknown' };
    const secret = await this.secret();
    const hash = tokenHash(secret, refreshToken);
    const next = newToken(REFRESH_PREFIX);
    return this.db.transaction(async (trx): Promise<RefreshResult> => {
      const t = await trx
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      if (!t) return { ok: false, reason: 'unknown' };
      const f = await trx
        .selectFrom('session_families')
        .selectAll()
        .where('family', '=', t.family)
        .executeTakeFirst();
      if (!f) return { ok: false, reason: 'unknown' };
      if (f.revoked_at !== null) return { ok: false, reason: 'revoked' };
      const now = this.now();
      const revoke = () =>
        trx.updateTable('session_families').set({ revoked_at: now }).where('family', '=', t.family).execute();
      if (t.used_at !== null) {
        await revoke();
        return { ok: false, reason: 'reused' };
      }
      if (Date.parse(instant(f.expires_at)) <= this.clock().getTime())
        return { ok: false, reason: 'expired' };
      // the used_at condition decides between two rotations of one token racing (MySQL: the row lock)
      const used = await trx
        .updateTable('refresh_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) {
        await revoke();
        return { ok: false, reason: 'reused' };
      }
      await trx
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash(secret, next), family: t.family })
        .execute();
      return {
        ok: true,
        userId: Number(f.user_id),
        family: t.family,
        refreshToken: next,
        expiresAt: instant(f.expires_at),
      };
    });
  }

  async sessionAlive(family: string): Promise<boolean> {
    const f = await this.db.kysely
      .selectFrom('session_families')
      .select(['revoked_at', 'expires_at'])
      .where('family', '=', family)
      .executeTakeFirst();
    return !!f && f.revoked_at === null && Date.parse(instant(f.expires_at)) > this.clock().getTime();
  }

  async revokeFamily(family: string): Promise<void> {
    await this.db.transaction((trx) =>
      trx
        .updateTable('session_families')
        .set({ revoked_at: this.now() })
        .where('family', '=', family)
        .where('revoked_at', 'is', null)
        .execute(),
    );
  }
}
