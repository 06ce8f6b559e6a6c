import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_WORKSPACE } from '../../accounts/roles.ts';
import type { Config } from '../../core/config.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';

/** The one BullMQ queue of an install (its keys under QUEUE_PREFIX): run chunks and scheduled runs. */
export const QUEUE_NAME = 'runs';

/**
 * Where a queued job's run or schedule lives: the `default` workspace's store (null) or another's. What
 * workers and reconcilers are given (accounts/workspace-stores.ts opens them).
 */
export interface QueueStores {
  /** the `default` workspace's store, the configured database */
  readonly root: MysqlStore;
  of(ws: JobWorkspace | null | undefined): Promise<MysqlStore>;
  /** every store queued runs may be in: `default`'s first, then each workspace's whose database exists */
  all(): Promise<{ workspace: JobWorkspace | null; store: MysqlStore }[]>;
}

/**
 * The workspace a job belongs to: its run or schedule is in that workspace's database (api/tenancy.ts
 * names it). Absent on the `default` workspace's jobs (the configured database; jobs queued before
 * workspaces had one look the same).
 */
export interface JobWorkspace {
  id: number;
  slug: string;
}

/** A share of a run's items (all their samples): what one worker takes at a time. */
export interface ChunkJob {
  runId: number;
  chunk: number;
  /** item keys */
  items: string[];
  workspace?: JobWorkspace;
}

/** A schedule's scheduler fired: a worker creates the run and enqueues its chunks. */
export interface ScheduleJob {
  scheduleId: number;
  workspace?: JobWorkspace;
}

/** null for the `default` workspace, whose jobs carry none. */
export const jobWorkspace = (ws: JobWorkspace | null | undefined): JobWorkspace | null =>
  ws && ws.slug !== DEFAULT_WORKSPACE ? { id: ws.id, slug: ws.slug } : null;

/** Run and schedule ids are per workspace database: another workspace's job ids carry its id. */
const idPrefix = (ws: JobWorkspace | null | undefined) => {
  const w = jobWorkspace(ws);
  return w ? `ws-${w.id}-` : '';
};

export type JobData = ChunkJob | ScheduleJob;

/**
 * Derived from run and chunk, so enqueueing a chunk again is a no-op while it waits or runs (BullMQ ignores
 * an add with a known id); finished chunks are removed, so after Redis lost them the reconciler can add
 * them again. No ':' (BullMQ's own separator).
 */
export const chunkJobId = (runId: number, chunk: number, ws?: JobWorkspace | null) =>
  `${idPrefix(ws)}run-${runId}-chunk-${chunk}`;
export const schedulerId = (scheduleId: number, ws?: JobWorkspace | null) =>
  `${idPrefix(ws)}schedule-${scheduleId}`;
/** Whether a job scheduler's id is one of this workspace's (`schedulerId(…, ws)`). */
export const isSchedulerOf = (key: string, ws: JobWorkspace | null | undefined) =>
  new RegExp(`^${idPrefix(ws)}schedule-\\d+$`).test(key);

/** The chunks of a run: item keys in run order, `size` per chunk (the last one shorter). */
export function chunksOf(keys: readonly string[], size: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < keys.length; i += size) out.push(keys.slice(i, i + size));
  return out;
}

export const CHUNK_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  // kept for a day so the failed gauge and `evalhouse runs` can tell; the reconciler retries them
  removeOnFail: { age: 86_400 },
  attempts: 3,
  backoff: { type: 'fixed', delay: 2000 },
};

const ADD_TIMEOUT_MS = 5000;

/**
 * A process's handle on the queue: BullMQ's Queue plus a plain Redis client (rate limits, ping), for one
 * workspace: what it adds carries that workspace (`forWorkspace`), the one queue of the install serving all.
 */
export interface RunQueue {
  readonly queue: Queue<JobData>;
  readonly redis: Redis;
  readonly prefix: string;
  readonly settings: Config['queue'];
  /** whose runs and schedules this handle queues: null for `default` */
  readonly workspace: JobWorkspace | null;
  /** Redis answers a PING within `timeoutMs`: for a /ready check. */
  ready(timeoutMs?: number): Promise<boolean>;
  addChunks(runId: number, chunks: { chunk: number; items: string[] }[]): Promise<void>;
  /** The same queue for another workspace's runs and schedules (its close() leaves the queue open). */
  forWorkspace(ws: JobWorkspace | null): RunQueue;
  close(): Promise<void>;
}

/** Options for a Redis connection BullMQ opens from the URL (workers need maxRetriesPerRequest: null). */
export const connectionFor = (url: string, blocking: boolean): ConnectionOptions => ({
  url,
  maxRetriesPerRequest: blocking ? null : 3,
});

export function openRunQueue(settings: Config['queue']): RunQueue {
  const url = settings.redisUrl;
  if (!url) throw new Error('queue mode needs REDIS_URL');
  const queue = new Queue<JobData>(QUEUE_NAME, {
    connection: connectionFor(url, false),
    prefix: settings.prefix,
  });
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
  // errors surface on the commands that fail; an unhandled 'error' event would crash the process
  redis.on('error', () => undefined);
  queue.on('error', () => undefined);
  const handle = (workspace: JobWorkspace | null, owner: boolean): RunQueue => ({
    queue,
    redis,
    prefix: settings.prefix,
    settings,
    workspace,
    async ready(timeoutMs = 1000) {
      const ping = redis.ping().then(
        (r) => r === 'PONG',
        () => false,
      );
      const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
      return Promise.race([ping, timeout]);
    },
    async addChunks(runId, chunks) {
      if (chunks.length === 0) return;
      const adding = queue.addBulk(
        chunks.map((c) => ({
          name: 'chunk',
          data: { runId, chunk: c.chunk, items: c.items, ...(workspace ? { workspace } : {}) },
          opts: { ...CHUNK_JOB_OPTIONS, jobId: chunkJobId(runId, c.chunk, workspace) },
        })),
      );
      // BullMQ waits for Redis as long as it takes; a caller answering a request must not. Should the
      // add land later, it is the same jobs (same ids) the reconciler would add.
      adding.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Redis did not answer within ${ADD_TIMEOUT_MS} ms`)),
          ADD_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([adding, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    forWorkspace: (ws) => handle(jobWorkspace(ws), false),
    async close() {
      // a workspace's handle shares the process's queue: its opener closes it
      if (!owner) return;
      await queue.close();
      redis.disconnect();
    },
  });
  return handle(null, true);
}

/**
 * For the API's /ready (built apart): true when the queue is off (nothing to reach) or Redis answers.
 * `queueReady(ctx.queue)` in a readiness check.
 */
export async function queueReady(q: RunQueue | null, timeoutMs = 1000): Promise<boolean> {
  return q === null ? true : q.ready(timeoutMs);
}
