import type { RunInfo } from '../../core/store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import {
  type QueuedRunRow,
  type RunTally,
  runTally,
  updateQueuedRun,
} from '../../store/mysql/queue-tables.ts';
import { accuracyOf, type ProgressSnapshot } from '../runner/stats.ts';

/** A queued run's progress from its stored results (RunView reads it from runs.summary on every replica). */
export function snapshotFromTally(
  run: Pick<RunInfo, 'id' | 'label'>,
  row: Pick<QueuedRunRow, 'total' | 'queuedAt'>,
  t: RunTally,
  status: ProgressSnapshot['status'],
  now = Date.now(),
): ProgressSnapshot {
  const elapsedMs = row.queuedAt ? Math.max(0, now - Date.parse(row.queuedAt)) : 0;
  const acc = accuracyOf(t.correct, t.incorrect);
  const itemsPerSec = elapsedMs > 0 ? (t.done * 1000) / elapsedMs : 0;
  return {
    runId: run.id,
    label: run.label,
    status,
    ...t,
    total: row.total,
    durationMs: elapsedMs,
    doneBefore: 0,
    inFlight: 0,
    accuracy: acc.accuracy,
    stderr: acc.stderr,
    scored: acc.n,
    itemsPerSec,
    etaSec: itemsPerSec > 0 ? Math.max(0, row.total - t.done) / itemsPerSec : null,
    elapsedMs,
  };
}

export interface Settled {
  /** every (item, sample) stored */
  complete: boolean;
  /** this call set the final status (exactly one caller per run sees true) */
  settledHere: boolean;
  status: string;
  tally: RunTally;
}

/**
 * Saves a queued run's progress from the store's counts and, once every (item, sample) is stored, ends it
 * (completed; failed when every result is an error) exactly once, whichever worker or reconciler gets there.
 */
export async function settleRun(store: MysqlStore, run: RunInfo, row: QueuedRunRow): Promise<Settled> {
  const tally = await runTally(store.kysely, run.id);
  if (tally.done < row.total) {
    await updateQueuedRun(store.kysely, run.id, { summary: snapshotFromTally(run, row, tally, 'running') });
    return { complete: false, settledHere: false, status: run.status, tally };
  }
  const allErrored = tally.errors > 0 && tally.errors === tally.done;
  const status = allErrored ? 'failed' : 'completed';
  const reason = allErrored
    ? `all ${tally.errors} item(s) failed; resume to ask them again`
    : tally.errors > 0
      ? `${tally.errors} item(s) failed; resume to ask them again`
      : null;
  const settledHere = await updateQueuedRun(store.kysely, run.id, {
    status,
    statusReason: reason,
    summary: snapshotFromTally(run, row, tally, status),
  });
  return { complete: true, settledHere, status, tally };
}
