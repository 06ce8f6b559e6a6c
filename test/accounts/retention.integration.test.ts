import { describe, expect, it } from 'vitest';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import { applyRetention } from '../../accounts/retention.ts';
import { ENGINES, openEngine } from './engines.ts';

describe.each(ENGINES)('applyRetention on %s', (engine) => {
  it('deletes the runs older than the retention, with one audit entry naming them', async () => {
    const e = await openEngine(engine);
    try {
      const old = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'old', source: 'test' });
      const fresh = await e.store.ensureRun({ benchmark: 'b', model: 'm', label: 'fresh', source: 'test' });
      await e.raw('UPDATE runs SET created_at = ? WHERE id = ?', ['2026-01-01 00:00:00.000', old.id]);
      const audit = new KyselyAuditLog(e.db);
      const ws = { id: 1, slug: 'default', retentionDays: null };
      const now = new Date(Date.now() + 1000);
      expect(await applyRetention(e.store, audit, ws, now)).toEqual({ deleted: [], skipped: [] });

      const r = await applyRetention(e.store, audit, { ...ws, retentionDays: 30 }, now);
      expect(r.deleted.map((x) => [x.id, x.label])).toEqual([[old.id, 'old']]);
      expect((await e.store.listRuns()).map((x) => x.id)).toEqual([fresh.id]);
      const [entry] = await audit.list({});
      expect(entry).toMatchObject({
        action: 'retention.delete',
        resource: 'workspace:default',
        workspaceId: 1,
        before: { retentionDays: 30, runs: [{ id: old.id, benchmark: 'b', model: 'm', label: 'old' }] },
      });
      // nothing left past retention: no second entry
      expect((await applyRetention(e.store, audit, { ...ws, retentionDays: 30 }, now)).deleted).toEqual([]);
      expect((await audit.list({})).length).toBe(1);
      expect((await audit.verify()).ok).toBe(true);
    } finally {
      await e.close();
    }
  });
});
