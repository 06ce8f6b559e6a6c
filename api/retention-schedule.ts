import { applyRetention } from '../accounts/retention.ts';
import type { AccountStore } from '../accounts/types.ts';
import { auditLogOf } from './data-audit.ts';
import type { Workspaces } from './tenancy.ts';

/**
 * Every `everyMs` (RETENTION_CHECK_MS; 0: never), each workspace with `retention_days` loses its runs
 * past it (accounts/retention.ts), on that workspace's own context, the deletion audited in its own
 * database; the mirror then follows at once. One workspace's failure is logged and does not stop the others.
 */
export function startRetention(
  accounts: Pick<AccountStore, 'listWorkspaces'>,
  workspaces: Workspaces,
  everyMs: number,
  log: (message: string) => void,
): { runOnce(): Promise<void>; stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const runOnce = async () => {
    for (const ws of await accounts.listWorkspaces()) {
      if (stopped) return;
      if (ws.retentionDays === null) continue;
      try {
        const ctx = await workspaces.context(ws);
        const out = await applyRetention(ctx.record, auditLogOf(ctx), ws);
        if (out.deleted.length > 0) {
          await ctx.syncMirror();
          log(
            `retention: ${out.deleted.length} run(s) of workspace ${ws.slug} older than ${ws.retentionDays} day(s) deleted`,
          );
        }
      } catch (err) {
        log(`retention of workspace ${ws.slug} failed: ${(err as Error).message}`);
      }
    }
  };
  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => log(`retention failed: ${(err as Error).message}`))
      .finally(() => {
        running = null;
        if (!stopped) schedule();
      });
  };
  const schedule = () => {
    timer = setTimeout(tick, everyMs);
    timer.unref();
  };
  if (everyMs > 0) schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
