import { DelayedError, type Job, Worker } from 'bullmq';
import type { Config } from '../../core/config.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import {
  getQueuedRun,
  getSchedule,
  type QueuedRunRow,
  storedKeys,
  updateQueuedRun,
} from '../../store/mysql/queue-tables.ts';
import { BenchmarkError, formatProblem } from '../benchmarks/types.ts';
import { AbortReason } from '../providers/classify.ts';
import { ModelsFileError } from '../providers/models.ts';
import { type Env, ModelSetupError } from '../providers/registry.ts';
import { type Logger, RunConfigMismatchError, runBenchmark } from '../runner/run-benchmark.ts';
import { enqueueRun } from './enqueue.ts';
import {
  type ChunkJob,
  connectionFor,
  type JobData,
  QUEUE_NAME,
  type QueueStores,
  type RunQueue,
  type ScheduleJob,
} from './queue.ts';
import { RedisLimiter } from './redis-limiter.ts';
import { scheduledSpec } from './schedules.ts';
import { settleRun } from './settle.ts';
import { type BuiltPlan, limitKey, planForSpec, QueuedRunSpecSchema, type SpecFiles } from './spec.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

/** Structured log lines: a message and the fields that say which run, chunk and request it is about. */
export interface WorkerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface WorkerDeps {
  /** the workspaces' stores: a job's run is in its workspace's database */
  stores: QueueStores;
  queue: RunQueue;
  files: SpecFiles;
  env: Env;
  logger: WorkerLogger;
  metrics?: WorkerMetrics | undefined;
  /** How often a running chunk saves the run's progress and looks whether it was cancelled (ms). */
  progressMs?: number | undefined;
}

/** Where a job's run is: its workspace's store, and the queue handle that tags what it adds. */
interface At {
  store: MysqlStore;
  queue: RunQueue;
}

/** A setup mistake no retry can mend: the run is failed with it. */
const isSetupError = (err: unknown) =>
  err instanceof BenchmarkError ||
  err instanceof ModelSetupError ||
  err instanceof ModelsFileError ||
  err instanceof RunConfigMismatchError;

const describe = (err: unknown) =>
  err instanceof BenchmarkError
    ? `benchmark not valid on this worker: ${err.problems.map(formatProblem).join('; ')}`
    : err instanceof Error
      ? err.message
      : String(err);

/**
 * Takes run chunks (and scheduled runs) off the queue. A chunk: rebuild the run's plan from its spec in
 * MySQL, skip what is stored, ask the rest with the runner (results insert-if-absent on (run, item,
 * sample): a chunk taken over after a crash never duplicates), then settle the run from the store's counts.
 */
export class ChunkWorker {
  readonly worker: Worker<JobData>;
  private readonly plans = new Map<string, Promise<BuiltPlan>>();
  /** close() was called: chunks starting now stop at once */
  private closing = false;
  /** how to stop each chunk in flight */
  private readonly onClosing = new Set<() => void>();

  constructor(
    private readonly deps: WorkerDeps,
    settings: Config['queue'],
  ) {
    this.worker = new Worker<JobData>(QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
      connection: connectionFor(settings.redisUrl!, true),
      prefix: settings.prefix,
      concurrency: settings.workerConcurrency,
      lockDuration: settings.lockMs,
      stalledInterval: Math.max(1000, Math.floor(settings.lockMs / 2)),
      // a chunk taken over after a crash may crash its next worker too (a bad item?): a few times, then failed
      maxStalledCount: 5,
    });
    this.worker.on('error', (err) => deps.logger.error(`queue worker: ${err.message}`));
    this.worker.on('stalled', (jobId) =>
      deps.logger.warn(`chunk ${jobId} stalled (its worker stopped): taken over`),
    );
    this.worker.on('failed', (job, err) => {
      if (job) deps.logger.warn(`job ${job.id} failed (attempt ${job.attemptsMade}): ${err.message}`);
    });
  }

  private async process(job: Job<JobData>, token: string | undefined, signal?: AbortSignal): Promise<string> {
    // the job's workspace: its run or schedule, and the runs a firing starts, are in that one's database
    const ws = job.data.workspace ?? null;
    const at: At = { store: await this.deps.stores.of(ws), queue: this.deps.queue.forWorkspace(ws) };
    if (job.name === 'schedule') return this.fire(job as Job<ScheduleJob>, at);
    return this.chunk(job as Job<ChunkJob>, at, token, signal);
  }

  /** A schedule's scheduler fired: a new run, labelled by the schedule and the firing time (idempotent). */
  private async fire(job: Job<ScheduleJob>, at: At): Promise<string> {
    const s = await getSchedule(at.store.kysely, job.data.scheduleId);
    if (!s) return 'schedule gone';
    // a scheduler's job id ends with the time it is due (repeat:<scheduler>:<ms>), the same for every worker
    const due = /:(\d+)$/.exec(job.id ?? '')?.[1];
    const spec = scheduledSpec(s, new Date(due ? Number(due) : job.timestamp));
    try {
      const out = await enqueueRun({ ...this.deps, ...at }, spec);
      this.deps.logger.info(
        `schedule #${s.id}: run #${out.run.id} "${spec.label}" queued (${out.chunks} chunks)`,
      );
      return `run ${out.run.id}`;
    } catch (err) {
      if (isSetupError(err)) {
        this.deps.logger.warn(`schedule #${s.id} cannot start a run: ${describe(err)}`);
        return 'not started';
      }
      throw err;
    }
  }

  private built(row: QueuedRunRow, at: At): Promise<BuiltPlan> {
    const key = `${at.queue.workspace?.id ?? 0}:${row.runId}:${JSON.stringify(row.spec)}`;
    let p = this.plans.get(key);
    if (!p) {
      p = planForSpec(QueuedRunSpecSchema.parse(row.spec), this.deps.files, this.deps.env);
      p.catch(() => this.plans.delete(key));
      // a few runs' plans at most (a plan holds its rendered prompts)
      if (this.plans.size >= 8) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, p);
    }
    return p;
  }

  private async chunk(
    job: Job<ChunkJob>,
    at: At,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const { store } = at;
    const { runId, items } = job.data;
    const row = await getQueuedRun(store.kysely, runId);
    const run = await store.getRun(runId);
    if (!row || !run) return 'run gone';
    const requestId = (row.spec as { request_id?: unknown } | null)?.request_id;
    const fields = {
      run_id: runId,
      job_id: job.id,
      ...(typeof requestId === 'string' ? { request_id: requestId } : {}),
      ...(at.queue.workspace ? { workspace: at.queue.workspace.slug } : {}),
    };
    const logger: Logger = {
      info: (m) => this.deps.logger.info(m, fields),
      warn: (m) => this.deps.logger.warn(m, fields),
    };
    if (run.status !== 'queued' && run.status !== 'running') return `run ${run.status}`;
    let built: BuiltPlan;
    try {
      built = await this.built(row, at);
    } catch (err) {
      if (!isSetupError(err)) throw err;
      await updateQueuedRun(store.kysely, runId, { status: 'failed', statusReason: describe(err) });
      logger.warn(`run #${runId} failed: ${describe(err)}`);
      return 'failed';
    }
    const wanted = new Set(items);
    const plan = { ...built.plan, items: built.plan.items.filter((it) => wanted.has(it.id)) };
    if (plan.items.length < wanted.size) {
      // the benchmark on this worker lacks items the run was queued with: they could never be stored
      const have = new Set(plan.items.map((it) => it.id));
      const lacking = items.filter((id) => !have.has(id));
      const reason = `the benchmark on this worker lacks ${lacking.length} item(s) of the run (${lacking.slice(0, 5).join(', ')}${lacking.length > 5 ? ', …' : ''}): give every worker the same benchmarks folder`;
      await updateQueuedRun(store.kysely, runId, { status: 'failed', statusReason: reason });
      logger.warn(`run #${runId} failed: ${reason}`);
      return 'failed';
    }
    const skip = await storedKeys(store.kysely, runId, items);
    await updateQueuedRun(store.kysely, runId, { status: 'running' }, ['queued']);

    // stops on the worker's shutdown (BullMQ's signal, worker.close()) and on a cancel seen in MySQL
    const ac = new AbortController();
    const onShutdown = () => ac.abort(new AbortReason('shutdown', 'the worker is stopping'));
    if (signal?.aborted) onShutdown();
    signal?.addEventListener('abort', onShutdown, { once: true });
    if (this.closing) onShutdown();
    this.onClosing.add(onShutdown);
    let cancelled = false;
    const tick = setInterval(() => {
      void (async () => {
        const now = await store.getRun(runId);
        if (!now || now.status === 'paused' || now.status === 'failed') {
          cancelled = true;
          ac.abort(new AbortReason('shutdown', `run #${runId} was ${now ? now.status : 'deleted'}`));
          return;
        }
        if (now.status === 'running') await settleRun(store, now, row);
      })().catch(() => undefined);
    }, this.deps.progressMs ?? 2000);
    tick.unref();
    let outcome: Awaited<ReturnType<typeof runBenchmark>>;
    try {
      outcome = await runBenchmark(plan, {
        store,
        provider: built.provider,
        signal: ac.signal,
        part: { skip },
        logger,
        limiter:
          plan.rpm || plan.tpm
            ? new RedisLimiter(this.deps.queue.redis, this.deps.queue.prefix, limitKey(built.model), {
                rpm: plan.rpm,
                tpm: plan.tpm,
              })
            : undefined,
        onResult: (r) => this.deps.metrics?.stored(runId, r),
      });
    } catch (err) {
      if (!isSetupError(err)) throw err;
      await updateQueuedRun(store.kysely, runId, { status: 'failed', statusReason: describe(err) });
      return 'failed';
    } finally {
      clearInterval(tick);
      signal?.removeEventListener('abort', onShutdown);
      this.onClosing.delete(onShutdown);
    }
    if (outcome.status === 'failed') {
      // a fatal provider error (a refused key, a base URL where nothing answers): the whole run stops
      await updateQueuedRun(store.kysely, runId, { status: 'failed', statusReason: outcome.reason });
      logger.warn(`run #${runId} failed: ${outcome.reason}`);
      return 'failed';
    }
    if (outcome.status === 'paused') {
      if (cancelled) return 'cancelled';
      if (outcome.reason?.includes('worker is stopping') && token) {
        // handed back at once, without spending an attempt: another worker (or this one, restarted) goes on
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      // paused by the provider (a spend limit): the run waits until someone resumes it
      await updateQueuedRun(store.kysely, runId, { status: 'paused', statusReason: outcome.reason });
      return 'paused';
    }
    const fresh = await store.getRun(runId);
    if (!fresh) return 'run gone';
    const settled = await settleRun(store, fresh, row);
    if (settled.settledHere) {
      logger.info(
        `run #${runId} ${settled.status}: ${settled.tally.done}/${row.total} stored (${settled.tally.errors} errors)`,
      );
    }
    return `chunk ${job.data.chunk}: ${outcome.summary.done - outcome.summary.doneBefore} asked`;
  }

  /** Graceful stop: chunks in flight finish their requests (the runner's grace) and are handed back. */
  async close(): Promise<void> {
    this.closing = true;
    for (const f of this.onClosing) f();
    await this.worker.close();
  }
}
