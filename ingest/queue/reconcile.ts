import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { storedKeys, unfinishedQueuedRuns } from '../../store/mysql/queue-tables.ts';
import { missingChunks } from './enqueue.ts';
import { chunkJobId, type QueueStores, type RunQueue } from './queue.ts';
import { syncSchedulers } from './schedules.ts';
import { settleRun } from './settle.ts';

export interface Reconciled {
  /** unfinished queued runs looked at */
  runs: number;
  /** chunk jobs added (missing from Redis) */
  added: number;
  /** failed chunk jobs retried */
  retried: number;
  /** runs found complete and settled here (their last worker died before it could) */
  settled: number;
  /** job schedulers re-created from MySQL */
  schedulers: number;
}

/**
 * Redis keeps nothing on disk, so MySQL says what must be in the queue: for every queued run not finished,
 * each chunk with a missing result gets its job back (same id: a no-op while the job waits or runs; a
 * failed one is retried), and the job schedulers are made those of the schedules table. Idempotent: any
 * number of workers and API replicas may run it at once. Every workspace's database is looked at (`stores`),
 * its jobs added with its workspace.
 */
export async function reconcile(stores: QueueStores, root: RunQueue): Promise<Reconciled> {
  const out: Reconciled = { runs: 0, added: 0, retried: 0, settled: 0, schedulers: 0 };
  for (const { workspace, store } of await stores.all()) {
    const q = root.forWorkspace(workspace);
    await reconcileOne(store, q, out);
    out.schedulers += await syncSchedulers({ store, queue: q });
  }
  return out;
}

async function reconcileOne(store: MysqlStore, q: RunQueue, out: Reconciled): Promise<void> {
  for (const row of await unfinishedQueuedRuns(store.kysely)) {
    out.runs++;
    const samples = Math.max(1, Math.round(row.total / Math.max(1, row.itemKeys.length)));
    const stored = await storedKeys(store.kysely, row.runId);
    const missing = missingChunks(row.itemKeys, row.chunkItems, samples, stored);
    if (missing.length === 0) {
      const run = await store.getRun(row.runId);
      if (run && (await settleRun(store, run, row)).settledHere) out.settled++;
      continue;
    }
    const absent: typeof missing = [];
    for (const c of missing) {
      const job = await q.queue.getJob(chunkJobId(row.runId, c.chunk, q.workspace));
      if (!job) absent.push(c);
      else if (await job.isFailed()) {
        await job.retry('failed');
        out.retried++;
      }
    }
    await q.addChunks(row.runId, absent);
    out.added += absent.length;
  }
}

/** Reconciles now and then every `everyMs` (0: only now) until stopped; errors go to `log`. */
export function startReconciler(
  stores: QueueStores,
  q: RunQueue,
  everyMs: number,
  log: (message: string) => void,
): { first: Promise<void>; stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = reconcile(stores, q).then(
      (r) => {
        if (r.added + r.retried + r.settled + r.schedulers > 0) {
          log(
            `reconciler: ${r.added} chunk job(s) re-enqueued, ${r.retried} retried, ${r.settled} run(s) settled, ${r.schedulers} scheduler(s) re-created (${r.runs} unfinished run(s))`,
          );
        }
      },
      (err: unknown) => log(`reconciler failed: ${(err as Error).message}`),
    );
    return running;
  };
  const loop = () => {
    if (stopped) return;
    void pass().then(() => {
      if (!stopped) timer = setTimeout(loop, everyMs);
    });
  };
  const first = pass();
  if (everyMs > 0)
    void first.then(() => {
      if (!stopped) timer = setTimeout(loop, everyMs);
    });
  return {
    first,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
