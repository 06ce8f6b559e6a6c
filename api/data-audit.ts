import type { FastifyRequest } from 'fastify';
import { accountDb, type StoreKysely } from '../accounts/account-db.ts';
import { appendAudit, KyselyAuditLog } from '../accounts/audit-log.ts';
import type { AuditActor, AuditEvent, AuditLog } from '../accounts/types.ts';
import type { CommitHook, RecordStore } from '../core/store.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';
import { isDatabaseOfRecord } from '../store/open.ts';
import './auth/guard.ts';

/**
 * The audit log of a context's own database: a workspace's data changes (GET /audit reads it beside the
 * control database's), or the control database's for the root.
 */
export function auditLogOf(ctx: { mysql: MysqlStore | null; duck: DuckDbStore }): AuditLog {
  return new KyselyAuditLog(accountDb(ctx.mysql ?? ctx.duck));
}

/** Who makes a change, for its audit entry: the request's principal, role, id and address. */
export function auditActorOf(req: FastifyRequest): AuditActor {
  const p = req.principal;
  const user = p && p.kind !== 'local' ? p.user : null;
  return {
    actor: {
      userId: user?.id ?? null,
      email: user?.email ?? null,
      role: req.access?.role ?? null,
      keyId: p?.kind === 'key' ? p.keyId : null,
    },
    requestId: req.id,
    address: req.ip ?? null,
  };
}

type Change = Pick<AuditEvent, 'before' | 'after'>;

/** A data change's audit, in the request's workspace database (each workspace has its own chain). */
export interface DataAudit {
  /** The entry as a store's commit hook: written in the change's transaction (a failure undoes it). */
  hook<R>(
    action: string,
    resource: string | ((result: R) => string),
    change: Change | ((result: R) => Change),
  ): CommitHook<R> | undefined;
  /** The entry in a transaction of its own, after a change made where no hook reaches. */
  append(action: string, resource: string, change?: Change): Promise<void>;
}

const NONE: DataAudit = { hook: () => undefined, append: async () => undefined };

/**
 * The audit of the request's workspace over its store of record. Nothing is written for a route
 * registered without the guard (no workspace resolved: route-only tests) or over a store that is not a
 * database of ours (the tests' memory store).
 */
export function dataAudit(record: RecordStore, req: FastifyRequest): DataAudit {
  const access = req.access;
  if (!access) return NONE;
  return dataAuditAs(record, access.workspace.id, auditActorOf(req));
}

/** The audit of changes by `who` in workspace `workspaceId`'s store of record (the command line's, too). */
export function dataAuditAs(record: RecordStore, workspaceId: number | null, who: AuditActor): DataAudit {
  if (!isDatabaseOfRecord(record)) return NONE;
  const db = accountDb(record);
  const event = (action: string, resource: string, change: Change): AuditEvent => ({
    action,
    resource,
    workspaceId,
    ...who,
    ...change,
  });
  return {
    hook: (action, resource, change) => async (trx, result) => {
      const c = typeof change === 'function' ? change(result) : change;
      const on = typeof resource === 'function' ? resource(result) : resource;
      await appendAudit(trx as StoreKysely, db.dialect, event(action, on, c));
    },
    append: async (action, resource, change = {}) => {
      await new KyselyAuditLog(db).append(event(action, resource, change));
    },
  };
}
