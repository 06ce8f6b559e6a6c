import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import { sqlTimestamp } from '../store/runs.ts';
import type { StoreTables } from '../store/schema.ts';
import type { AccountDb, StoreKysely } from './account-db.ts';
import { instant } from './account-rows.ts';
import type { AuditEntry, AuditEvent, AuditFilter, AuditLog } from './types.ts';

/** The prev_hash of a chain's first entry. */
export const GENESIS = '0'.repeat(64);
/** The settings row holding `<id>:<hash>` of the chain's last entry; every append locks it. */
const HEAD = 'audit_head';
const VERIFY_PAGE = 1000;
const LIST_LIMIT = 100;
const LIST_MAX = 1000;

type Row = Selectable<StoreTables['audit_log']>;

/** JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A before/after value as JSON gives it back (dates to text, undefined dropped); null when absent. */
const plain = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** What an entry's hash covers: every field but its id and hash (the id is the engine's). */
function hashOf(prevHash: string, e: Omit<AuditEntry, 'id' | 'hash' | 'prevHash'>): string {
  const content = canonicalJson({
    at: e.at,
    workspaceId: e.workspaceId,
    action: e.action,
    resource: e.resource,
    actor: e.actor,
    before: e.before ?? null,
    after: e.after ?? null,
    requestId: e.requestId,
    address: e.address,
  });
  return createHash('sha256')
    .update(prevHash + content)
    .digest('hex');
}

/** A stored JSON value: text on DuckDB and MariaDB, already parsed by mysql2 on MySQL 8. */
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : (v ?? null));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toEntry(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: instant(r.at),
    workspaceId: num(r.workspace_id),
    action: r.action,
    resource: r.resource,
    actor: {
      userId: num(r.actor_user_id),
      email: r.actor_email,
      role: r.actor_role as AuditEntry['actor']['role'],
      keyId: num(r.actor_key_id),
    },
    before: json(r.before),
    after: json(r.after),
    requestId: r.request_id,
    address: r.address,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Appends one entry inside the caller's transaction `trx` (the change it records commits with it):
 * locks the chain's head (MySQL: SELECT … FOR UPDATE on its settings row, so concurrent appends wait
 * and the chain never forks; DuckDB: the store's one writer already serializes), links the entry to
 * it, inserts it and moves the head. What other parts call to audit a data change, e.g.
 * `db.transaction(async (trx) => { …change…; await appendAudit(trx, db.dialect, event) })`; on DuckDB,
 * inside DuckDbStore.write with the store's `kysely` (never outside it: the writer connection would
 * put the entry in whichever transaction is open); on a raw mysql2 transaction, a Kysely on its
 * connection.
 * before/after are plain objects of what changed, never a hash, token or password.
 */
export async function appendAudit(
  trx: StoreKysely,
  dialect: AccountDb['dialect'],
  event: AuditEvent,
  now: Date = new Date(),
): Promise<AuditEntry> {
  let q = trx.selectFrom('settings').select('value').where('name', '=', HEAD);
  if (dialect === 'mysql') q = q.forUpdate();
  const head = await q.executeTakeFirst();
  if (!head) throw new Error('the audit chain head is missing (settings.audit_head): run the migrations');
  const prevHash = head.value === '' ? GENESIS : head.value.slice(head.value.indexOf(':') + 1);
  const content = {
    at: now.toISOString(),
    workspaceId: event.workspaceId,
    action: event.action,
    resource: event.resource,
    actor: {
      userId: event.actor.userId,
      email: event.actor.email,
      role: event.actor.role,
      keyId: event.actor.keyId,
    },
    before: plain(event.before),
    after: plain(event.after),
    requestId: event.requestId,
    address: event.address,
  };
  const hash = hashOf(prevHash, content);
  const res = await trx
    .insertInto('audit_log')
    .values({
      at: sqlTimestamp(content.at)!,
      workspace_id: content.workspaceId,
      action: content.action,
      resource: content.resource,
      actor_user_id: content.actor.userId,
      actor_email: content.actor.email,
      actor_role: content.actor.role,
      actor_key_id: content.actor.keyId,
      before: content.before === null ? null : canonicalJson(content.before),
      after: content.after === null ? null : canonicalJson(content.after),
      request_id: content.requestId,
      address: content.address,
      prev_hash: prevHash,
      hash,
    })
    .executeTakeFirst();
  // MySQL reports the auto-increment id; DuckDB's insert reports none, and under the head's lock the
  // highest id is this entry's
  let id = res.insertId === undefined ? null : Number(res.insertId);
  if (id === null) {
    const row = await trx
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    id = Number(row.id);
  }
  await trx
    .updateTable('settings')
    .set({ value: `${id}:${hash}` })
    .where('name', '=', HEAD)
    .execute();
  return { id, ...content, prevHash, hash };
}

/** One database's audit log (the control database's, or a workspace's): append-only and hash-chained. */
export class KyselyAuditLog implements AuditLog {
  constructor(private readonly db: AccountDb) {}

  /** `trx`: the transaction of the change it records (a Kysely from `db.transaction`); else its own. */
  append(event: AuditEvent, trx?: unknown): Promise<AuditEntry> {
    if (trx) return appendAudit(trx as StoreKysely, this.db.dialect, event);
    return this.db.transaction((t) => appendAudit(t, this.db.dialect, event));
  }

  async list(filter: AuditFilter): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, Math.trunc(filter.limit ?? LIST_LIMIT)), LIST_MAX);
    let q = this.db.kysely.selectFrom('audit_log').selectAll();
    if (filter.workspaceId === null) q = q.where('workspace_id', 'is', null);
    else if (filter.workspaceId !== undefined) q = q.where('workspace_id', '=', filter.workspaceId);
    if (filter.from) q = q.where('at', '>=', sqlTimestamp(filter.from)!);
    if (filter.to) q = q.where('at', '<=', sqlTimestamp(filter.to)!);
    if (filter.userId !== undefined) q = q.where('actor_user_id', '=', filter.userId);
    if (filter.action) q = q.where('action', '=', filter.action);
    if (filter.resource) q = q.where('resource', '=', filter.resource);
    if (filter.before !== undefined) q = q.where('id', '<', filter.before);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toEntry);
  }

  /**
   * Recomputes the chain page by page from its first entry: an entry whose content does not give its
   * hash was edited; one whose prev_hash is not the previous entry's hash follows a removed or edited
   * one; a head (settings.audit_head) naming another last entry means entries at the end were removed.
   */
  async verify(): Promise<{ ok: boolean; checked: number; firstBad: { id: number; reason: string } | null }> {
    let expected = GENESIS;
    let lastId = 0;
    let checked = 0;
    const bad = (id: number, reason: string) => ({ ok: false, checked, firstBad: { id, reason } });
    for (;;) {
      const rows = await this.db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '>', lastId)
        .orderBy('id')
        .limit(VERIFY_PAGE)
        .execute();
      for (const r of rows) {
        const e = toEntry(r);
        if (e.prevHash !== expected) {
          return bad(
            e.id,
            'its link does not match the previous entry (an entry before it was removed or changed)',
          );
        }
        if (hashOf(e.prevHash, e) !== e.hash)
          return bad(e.id, 'its content does not match its hash (edited)');
        checked++;
        expected = e.hash;
        lastId = e.id;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const head = await this.db.kysely
      .selectFrom('settings')
      .select('value')
      .where('name', '=', HEAD)
      .executeTakeFirst();
    const want = checked === 0 ? '' : `${lastId}:${expected}`;
    if ((head?.value ?? '') !== want) {
      const headId = Number(head?.value.split(':')[0] ?? 0);
      return bad(
        headId || lastId,
        'the chain ends before its recorded last entry (entries at the end were removed)',
      );
    }
    return { ok: true, checked, firstBad: null };
  }
}
