/**
 * Pages of a workspace's audit trail, which lives in two hash chains: the control database's entries of the
 * workspace (members, keys, settings) and the workspace database's own (imports, runs, deletes). Each chain
 * pages backwards by its own entry ids, so the cursor holds one position per chain: `<control>:<workspace>`,
 * the id to continue below in each, 0 once that chain is exhausted.
 */
import type { AuditEntry, AuditFilter, AuditLog } from '../../accounts/types.ts';
import type { AuditDatabase } from './account-views.ts';

export interface Chain {
  database: AuditDatabase;
  log: AuditLog;
  /** the filter narrowing this chain to the workspace (the control log holds every workspace's) */
  scope: Pick<AuditFilter, 'workspaceId'>;
}

export const CURSOR = /^\d{1,15}:\d{1,15}$/;

/** The per-chain positions of a cursor (undefined: from the newest entry). */
export function parseCursor(before: string | undefined): [number | undefined, number | undefined] {
  if (before === undefined) return [undefined, undefined];
  const [c, w] = before.split(':').map(Number) as [number, number];
  return [c, w];
}

export interface Page {
  entries: { entry: AuditEntry; database: AuditDatabase }[];
  next: string | null;
}

/**
 * The newest `limit` entries of both chains matching `filter`, newest first (by time; control first on a
 * tie), and the cursor of the next page. Each chain is read `limit + 1` deep: enough to fill the page and to
 * know whether it has more.
 */
export async function auditPage(
  chains: Chain[],
  filter: Omit<AuditFilter, 'before' | 'limit' | 'workspaceId'>,
  before: string | undefined,
  limit: number,
): Promise<Page> {
  const positions = parseCursor(before);
  const fetched = await Promise.all(
    chains.map(async (c, i) => {
      const at = positions[i];
      if (at === 0) return [];
      return c.log.list({
        ...filter,
        ...c.scope,
        ...(at !== undefined ? { before: at } : {}),
        limit: limit + 1,
      });
    }),
  );
  const taken = chains.map(() => 0);
  const entries: Page['entries'] = [];
  while (entries.length < limit) {
    let pick = -1;
    for (let i = 0; i < chains.length; i++) {
      const head = fetched[i]?.[taken[i] as number];
      if (!head) continue;
      const best = pick < 0 ? undefined : fetched[pick]?.[taken[pick] as number];
      if (!best || head.at > best.at) pick = i;
    }
    if (pick < 0) break;
    const entry = fetched[pick]?.[taken[pick] as number] as AuditEntry;
    entries.push({ entry, database: chains[pick]?.database as AuditDatabase });
    taken[pick] = (taken[pick] as number) + 1;
  }
  // where each chain continues: below its last entry shown; where it was when none of it was shown; 0 when done
  const next = chains.map((_, i) => {
    const list = fetched[i] ?? [];
    const n = taken[i] as number;
    if (n === list.length && list.length <= limit) return 0;
    if (n > 0) return (list[n - 1] as AuditEntry).id;
    return positions[i] ?? (list[0] as AuditEntry).id + 1;
  });
  while (next.length < 2) next.push(0);
  return { entries, next: next.every((p) => p === 0) ? null : next.join(':') };
}
