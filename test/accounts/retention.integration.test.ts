import { describe, expect, it } from 'vitest';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import { applyRetention } from '../../accounts/retention.ts';
import { ENGINES, openEngine } from './engines.ts';

describe.each(ENGINES)('applyRetention on %s', (engine) => {
  it('deletes the runs older than the retention, each with its own audit entry', async () => {
    const e = await openEngine(engine);
    try {
      const old = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'old', source: 'test' });
      const older = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'older', source: 'test' });
      const fresh = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'fresh', source: 'test' });
      await e.raw('UPDATE runs SET created_at = ? WHERE id = ?', ['2026-01-01 00:00:00.000', old.id]);
      await e.raw('UPDATE runs SET created_at = ? WHERE id = ?', ['2025-06-01 00:00:00.000', older.id]);
      const audit = new KyselyAuditLog(e.db);
      const ws = { id: 1, slug: 'default', retentionDays: null };
      const now = new Date(Date.now() + 1000);
      expect(await applyRetention(e.store, audit, ws, now)).toEqual({ deleted: [], skipped: [] });

      const r = await applyRetention(e.store, audit, { ...ws, retentionDays: 30 }, now);
      expect(r.deleted.map((x) => x.label).sort()).toEqual(['old', 'older']);
      expect((await e.store.listRuns()).map((x) => x.id)).toEqual([fresh.id]);
      const entries = await audit.list({ action: 'retention.delete' });
      // one entry per deleted run, naming it
      expect(entries.map((x) => x.resource).sort()).toEqual([`run:${old.id}`, `run:${older.id}`].sort());
      for (const x of entries) {
        expect(x.workspaceId).toBe(1);
        expect(x.before).toMatchObject({ benchmark: 'b', model: 'm', retentionDays: 30 });
      }
      // nothing left past retention: no further entry
      expect((await applyRetention(e.store, audit, { ...ws, retentionDays: 30 }, now)).deleted).toEqual([]);
      expect((await audit.list({})).length).toBe(2);
      expect((await audit.verify()).ok).toBe(true);
    } finally {
      await e.close();
    }
  });

  it('a run whose entry cannot be written is not deleted', async () => {
    const e = await openEngine(engine);
    try {
      const old = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'kept', source: 'test' });
      await e.raw('UPDATE runs SET created_at = ? WHERE id = ?', ['2026-01-01 00:00:00.000', old.id]);
      const audit = new KyselyAuditLog(e.db);
      // the chain's head gone: every audit insert fails (appendAudit refuses to start a second chain)
      const [head] = await e.raw("SELECT value FROM settings WHERE name = 'audit_head'");
      await e.raw("DELETE FROM settings WHERE name = 'audit_head'");
      const ws = { id: 1, slug: 'default', retentionDays: 30 };
      await expect(applyRetention(e.store, audit, ws, new Date(Date.now() + 1000))).rejects.toThrow(
        /audit chain head is missing/,
      );
      expect((await e.store.listRuns()).map((x) => x.id)).toEqual([old.id]);
      await e.raw("INSERT INTO settings (name, value) VALUES ('audit_head', ?)", [head!.value]);
      expect(await audit.list({})).toEqual([]);
      // with the log writable again, the same pass deletes it and audits it once
      const r = await applyRetention(e.store, audit, ws, new Date(Date.now() + 1000));
      expect(r.deleted.map((x) => x.id)).toEqual([old.id]);
      expect((await audit.list({ action: 'retention.delete' })).map((x) => x.resource)).toEqual([
        `run:${old.id}`,
      ]);
    } finally {
      await e.close();
    }
  });
});
