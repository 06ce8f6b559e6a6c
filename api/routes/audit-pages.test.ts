import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditFilter, AuditLog } from '../../accounts/types.ts';
import { auditPage, type Chain } from './audit-pages.ts';

/** A chain's list as the store answers it: newest first by id, `before` exclusive, `limit` deep. */
function log(entries: { id: number; at: string }[]): AuditLog {
  const all = entries.map(
    (e) =>
      ({
        ...e,
        action: 'x',
        resource: 'r',
        workspaceId: 1,
        actor: { userId: null, email: null, role: null, keyId: null },
        requestId: null,
        address: null,
        hash: '',
        prevHash: '',
      }) satisfies AuditEntry,
  );
  return {
    append: async () => {
      throw new Error('read only');
    },
    verify: async () => ({ ok: true, checked: all.length, firstBad: null }),
    list: async (f: AuditFilter) =>
      all
        .filter((e) => f.before === undefined || e.id < f.before)
        .sort((a, b) => b.id - a.id)
        .slice(0, f.limit),
  };
}

const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('auditPage: two chains merged newest first, paged by a cursor per chain', () => {
  // control entries at minutes 1, 4, 5, 9; workspace entries at 2, 3, 6, 7, 8
  const control: Chain = {
    database: 'control',
    log: log([1, 4, 5, 9].map((m, i) => ({ id: 10 + i, at: at(m) }))),
    scope: { workspaceId: 1 },
  };
  const workspace: Chain = {
    database: 'workspace',
    log: log([2, 3, 6, 7, 8].map((m, i) => ({ id: i + 1, at: at(m) }))),
    scope: {},
  };

  it('walks every entry exactly once, in time order, whatever the page size', async () => {
    for (const limit of [1, 2, 3, 4, 9, 10]) {
      const seen: string[] = [];
      let before: string | undefined;
      let pages = 0;
      do {
        const page = await auditPage([control, workspace], {}, before, limit);
        expect(page.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...page.entries.map((e) => `${e.database}:${e.entry.at.slice(14, 16)}`));
        before = page.next ?? undefined;
        pages++;
      } while (before && pages < 20);
      expect(seen).toEqual([
        'control:09',
        'workspace:08',
        'workspace:07',
        'workspace:06',
        'control:05',
        'control:04',
        'workspace:03',
        'workspace:02',
        'control:01',
      ]);
      expect(pages).toBe(Math.ceil(9 / limit));
    }
  });

  it('one chain (the default workspace): its own cursor, null after the last page', async () => {
    const first = await auditPage([control], {}, undefined, 3);
    expect(first.entries.map((e) => e.entry.id)).toEqual([13, 12, 11]);
    expect(first.next).toBe('11:0');
    const last = await auditPage([control], {}, first.next ?? undefined, 3);
    expect(last.entries.map((e) => e.entry.id)).toEqual([10]);
    expect(last.next).toBeNull();
  });
});
