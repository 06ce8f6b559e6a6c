import type { CommitHook, RecordStore, RunInfo } from '../../core/store.ts';

/**
 * A runner saves its progress every 5 s, so a `running` run updated within this window has a live runner
 * (in this process or another one); an older one is left over from a crash.
 */
export const LIVE_WINDOW_MS = 30_000;

/** Milliseconds since the run's row was last updated. */
export function idleMs(run: RunInfo, now = Date.now()): number {
  return now - Date.parse(run.updatedAt);
}

/** A run whose runner is (probably) still working on it. */
export function looksLive(run: RunInfo, now = Date.now()): boolean {
  return run.status === 'running' && idleMs(run, now) < LIVE_WINDOW_MS;
}

/**
 * A run left `running` by a runner that died: nothing can stop it, but it is marked paused (resumable) so
 * that it no longer looks alive. Returns false when the run's runner still looks alive.
 */
export async function pauseAbandoned(
  store: RecordStore,
  run: RunInfo,
  by: string,
  onCommit?: CommitHook,
): Promise<boolean> {
  if (looksLive(run)) return false;
  if (run.status === 'running') {
    await store.updateRun(
      run.id,
      {
        status: 'paused',
        statusReason: `cancelled ${by}; its runner had stopped updating it ${Math.round(idleMs(run) / 1000)} s before`,
      },
      onCommit,
    );
  }
  return true;
}
