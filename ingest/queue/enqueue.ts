import type { CommitHook, RunInfo } from '../../core/store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { saveQueuedRun, storedKeys, updateQueuedRun } from '../../store/mysql/queue-tables.ts';
import type { Env } from '../providers/registry.ts';
import { configDiff } from '../runner/plan.ts';
import { RunConfigMismatchError } from '../runner/run-benchmark.ts';
import { type ChunkJob, chunksOf, type RunQueue } from './queue.ts';
import { settleRun } from './settle.ts';
import { type BuiltPlan, planForSpec, type QueuedRunSpec, type SpecFiles } from './spec.ts';

export interface EnqueueDeps {
  store: MysqlStore;
  queue: RunQueue;
  files: SpecFiles;
  env: Env;
  /** the run's `run.create` audit entry, written in the transaction that queues it */
  onQueued?: CommitHook<RunInfo> | undefined;
}

export interface Enqueued {
  run: RunInfo;
  /** items × samples */
  total: number;
  chunks: number;
  /** chunks added now (the others were all stored) */
  enqueued: number;
  /**
   * Redis did not take the jobs (unreachable): the run is queued in MySQL all the same, and the reconciler
   * of any worker or API process adds its chunks once Redis answers. The reason, or null.
   */
  deferred: string | null;
}

/**
 * The chunks of a run with results missing, given what is stored: `samples` per item, keys `${item}#${s}`.
 * Exported for the reconciler and for tests.
 */
export function missingChunks(
  keys: readonly string[],
  size: number,
  samples: number,
  stored: Set<string>,
): Omit<ChunkJob, 'runId'>[] {
  return chunksOf(keys, size)
    .map((items, chunk) => ({ chunk, items }))
    .filter((c) =>
      c.items.some((id) =>
        Array.from({ length: samples }, (_, s) => `${id}#${s}`).some((k) => !stored.has(k)),
      ),
    );
}

/**
 * Queue mode's POST /runs and `evalhouse run --queue`: creates (or finds) the run in MySQL, records what
 * it asks (run_queue) and adds a job per chunk of items whose results are missing. A resume deletes the
 * run's errors first (they are asked again), unless workers are on it now. Throws RunConfigMismatchError
 * as the runner does.
 */
export async function enqueueRun(
  deps: EnqueueDeps,
  spec: QueuedRunSpec,
  built?: BuiltPlan,
): Promise<Enqueued> {
  const { store, queue } = deps;
  const { plan } = built ?? (await planForSpec(spec, deps.files, deps.env));
  const existing = await store.findRun(plan.benchmark, plan.model, plan.label);
  const run = await store.ensureRun({
    benchmark: plan.benchmark,
    model: plan.model,
    label: plan.label,
    source: 'queue',
    config: plan.config,
    prompt: plan.prompt ?? null,
    status: 'queued',
    evaluatedAt: new Date().toISOString(),
  });
  const diff = configDiff(run.config, plan.config);
  if (diff.length > 0) {
    throw new RunConfigMismatchError(
      `run "${plan.label}" (#${run.id}, ${plan.benchmark} × ${plan.model}) was created with another configuration, ` +
        `so its results would not be comparable:\n  ${diff.join('\n  ')}\n` +
        'Resume it with its original settings, or start a new run with another label.',
    );
  }
  const busy = existing !== null && (existing.status === 'queued' || existing.status === 'running');
  const keys = plan.items.map((it) => it.id);
  const total = keys.length * plan.config.samples;
  const row = { runId: run.id, spec, itemKeys: keys, total, chunkItems: queue.settings.chunkItems };
  // what it asks, its status and its audit entry commit together; should the entry fail, a run row
  // made just now for it goes too (the catalog made it on a connection of its own)
  try {
    await store.kysely.transaction().execute(async (trx) => {
      await saveQueuedRun(trx, row);
      if (!busy) {
        await updateQueuedRun(trx, run.id, { status: 'queued', statusReason: null }, [
          'created',
          'paused',
          'failed',
          'completed',
          'imported',
        ]);
      }
      await deps.onQueued?.(trx, run);
    });
  } catch (err) {
    if (existing === null) await store.deleteRun(run.id).catch(() => undefined);
    throw err;
  }
  if (!busy) await store.deleteErrors(run.id);
  const stored = await storedKeys(store.kysely, run.id);
  const missing = missingChunks(keys, row.chunkItems, plan.config.samples, stored);
  const chunks = chunksOf(keys, row.chunkItems).length;
  const fresh = (await store.getRun(run.id))!;
  let deferred: string | null = null;
  if (missing.length === 0) {
    // nothing left to ask (a resume of a complete run): settle it now, no worker will
    await settleRun(store, fresh, { ...row, queuedAt: new Date().toISOString() });
  } else {
    try {
      await queue.addChunks(
        run.id,
        missing.map((c) => ({ chunk: c.chunk, items: c.items })),
      );
    } catch (err) {
      deferred = `Redis did not take the chunks (${(err as Error).message}); the reconciler adds them once it answers`;
    }
  }
  return {
    run: (await store.getRun(run.id))!,
    total,
    chunks,
    enqueued: deferred ? 0 : missing.length,
    deferred,
  };
}
