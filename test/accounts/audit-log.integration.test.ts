import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import { appendAudit, GENESIS, KyselyAuditLog } from '../../accounts/audit-log.ts';
import type { AuditActor, AuditEvent } from '../../accounts/types.ts';
import { ENGINES, openEngine, type TestEngine } from './engines.ts';

const BY: AuditActor = {
  actor: { userId: 7, email: 'ada@example.org', role: 'admin', keyId: null },
  requestId: 'r-1',
  address: '::1',
};
const event = (i: number): AuditEvent => ({
  ...BY,
  action: 'run.delete',
  resource: `run:${i}`,
  workspaceId: 1,
  before: { id: i, label: `run ${i}`, nested: { b: 2, a: [1, 'x', null] } },
  after: null,
});

describe.each(ENGINES)('the audit log on %s', (engine) => {
  let e: TestEngine;
  let log: KyselyAuditLog;
  beforeAll(async () => {
    e = await openEngine(engine);
    log = new KyselyAuditLog(e.db);
  });
  afterAll(async () => {
    await e?.close();
  });

  it('an empty chain verifies', async () => {
    expect(await log.verify()).toEqual({ ok: true, checked: 0, firstBad: null });
  });

  it('appends linked entries and lists them newest first, filtered and paged', async () => {
    const a = await log.append(event(1));
    expect(a.prevHash).toBe(GENESIS);
    const b = await log.append({ ...event(2), workspaceId: 2, action: 'import.create' });
    expect(b.prevHash).toBe(a.hash);
    expect(b.id).toBeGreaterThan(a.id);
    // inside a change's own transaction: both commit, or neither
    await e.db.transaction(async (trx) => {
      await appendAudit(trx, e.db.dialect, event(3));
    });
    await expect(
      e.db.transaction(async (trx) => {
        await appendAudit(trx, e.db.dialect, event(4));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const all = await log.list({});
    expect(all.map((x) => x.resource)).toEqual(['run:3', 'run:2', 'run:1']);
    expect(all[2]).toEqual(a);
    expect(all[2]!.before).toEqual({ id: 1, label: 'run 1', nested: { b: 2, a: [1, 'x', null] } });
    expect(all[2]!.actor).toEqual(BY.actor);
    expect((await log.list({ workspaceId: 2 })).map((x) => x.resource)).toEqual(['run:2']);
    expect((await log.list({ action: 'import.create' })).map((x) => x.id)).toEqual([b.id]);
    expect((await log.list({ userId: 7, limit: 2 })).map((x) => x.resource)).toEqual(['run:3', 'run:2']);
    expect((await log.list({ before: b.id })).map((x) => x.resource)).toEqual(['run:1']);
    expect(await log.list({ from: '2100-01-01T00:00:00Z' })).toEqual([]);
    expect((await log.list({ to: '2100-01-01T00:00:00Z' })).length).toBe(3);
    expect(await log.verify()).toEqual({ ok: true, checked: 3, firstBad: null });
  });

  it('an account change writes its entry; a refused change none', async () => {
    const s = new KyselyAccountStore(e.db, { auth: { secret: 's', refreshTtlS: 60 } });
    const w = await s.createWorkspace('audited', 'Audited', BY);
    const [last] = await log.list({ limit: 1 });
    expect(last).toMatchObject({
      action: 'workspace.create',
      resource: 'workspace:audited',
      workspaceId: w.id,
      after: { id: w.id, slug: 'audited', name: 'Audited', retentionDays: null },
      requestId: 'r-1',
      address: '::1',
    });
    await expect(s.createWorkspace('audited', 'Again', BY)).rejects.toThrow(/exists/);
    expect((await log.list({ limit: 1 }))[0]!.id).toBe(last!.id);
    expect((await log.verify()).ok).toBe(true);
  });
});

describe('the audit log guards on DuckDB (no triggers: the chain)', () => {
  let e: TestEngine;
  let log: KyselyAuditLog;
  beforeAll(async () => {
    e = await openEngine('duckdb');
    log = new KyselyAuditLog(e.db);
    for (let i = 1; i <= 5; i++) await log.append(event(i));
  });
  afterAll(async () => {
    await e?.close();
  });

  it('finds an entry edited by hand, then a removed one, then a removed last one', async () => {
    const entries = (await log.list({})).reverse();
    expect(await log.verify()).toMatchObject({ ok: true, checked: 5 });
    await e.raw(`UPDATE audit_log SET "before" = '{"id":2,"label":"innocent"}' WHERE id = ?`, [
      entries[1]!.id,
    ]);
    expect(await log.verify()).toEqual({
      ok: false,
      checked: 1,
      firstBad: { id: entries[1]!.id, reason: expect.stringMatching(/content/) },
    });
    await e.raw('DELETE FROM audit_log WHERE id = ?', [entries[1]!.id]);
    expect(await log.verify()).toMatchObject({
      ok: false,
      firstBad: { id: entries[2]!.id, reason: expect.stringMatching(/link/) },
    });
  });
});

describe('the audit log guards on DuckDB: the tail', () => {
  it('finds the last entries removed', async () => {
    const e = await openEngine('duckdb');
    try {
      const log = new KyselyAuditLog(e.db);
      for (let i = 1; i <= 3; i++) await log.append(event(i));
      const [last] = await log.list({ limit: 1 });
      await e.raw('DELETE FROM audit_log WHERE id = ?', [last!.id]);
      expect(await log.verify()).toMatchObject({
        ok: false,
        checked: 2,
        firstBad: { id: last!.id, reason: expect.stringMatching(/end/) },
      });
    } finally {
      await e.close();
    }
  });
});

describe('the audit log on MariaDB: triggers and concurrency', () => {
  let e: TestEngine;
  let log: KyselyAuditLog;
  beforeAll(async () => {
    e = await openEngine('mysql');
    log = new KyselyAuditLog(e.db);
  });
  afterAll(async () => {
    await e?.close();
  });

  it('20 concurrent appends make one valid chain', async () => {
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(event(i))));
    expect(new Set(got.map((x) => x.prevHash)).size).toBe(20); // no two linked to the same entry
    expect(await log.verify()).toEqual({ ok: true, checked: 20, firstBad: null });
  });

  it('refuses an UPDATE and a DELETE of an entry (triggers)', async () => {
    const [one] = await log.list({ limit: 1 });
    await expect(e.raw('UPDATE audit_log SET action = ? WHERE id = ?', ['x', one!.id])).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(e.raw('DELETE FROM audit_log WHERE id = ?', [one!.id])).rejects.toThrow(
      'audit_log is append-only',
    );
    expect(await log.verify()).toMatchObject({ ok: true, checked: 20 });
  });

  it('finds an edit made with the triggers dropped', async () => {
    const entries = (await log.list({})).reverse();
    await e.raw('DROP TRIGGER audit_log_no_update');
    await e.raw('UPDATE audit_log SET actor_email = ? WHERE id = ?', ['someone@else.org', entries[4]!.id]);
    expect(await log.verify()).toEqual({
      ok: false,
      checked: 4,
      firstBad: { id: entries[4]!.id, reason: expect.stringMatching(/content/) },
    });
  });
});
