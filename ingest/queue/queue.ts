import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../core/config.ts';

/** The one BullMQ queue of an install (its keys under QUEUE_PREFIX): run chunks and scheduled runs. */
export const QUEUE_NAME = 'runs';

/** A share of a run's items (all their samples): what one worker takes at a time. */
export interface ChunkJob {
  runId: number;
  chunk: number;
  /** item keys */
  items: string[];
}
/** A schedule's scheduler fired: a worker creates the run and enqueues its chunks. */
export interface ScheduleJob {
  scheduleId: number;
}
export type JobData = ChunkJob | ScheduleJob;

/**
 * Derived from run and chunk, so enqueueing a chunk again is a no-op while it waits or runs (BullMQ ignores
 * an add with a known id); finished chunks are removed, so after Redis lost them the reconciler can add
 * them again. No ':' (BullMQ's own separator).
 */
export const chunkJobId = (runId: number, chunk: number) => `run-${runId}-chunk-${chunk}`;
export const schedulerId = (scheduleId: number) => `schedule-${scheduleId}`;

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

/** A process's handle on the queue: BullMQ's Queue plus a plain Redis client (rate limits, ping). */
export interface RunQueue {
  readonly queue: Queue<JobData>;
  readonly redis: Redis;
  readonly prefix: string;
  readonly settings: Config['queue'];
  /** Redis answers a PING within `timeoutMs`: for a /ready check. */
  ready(timeoutMs?: number): Promise<boolean>;
  addChunks(runId: number, chunks: { chunk: number; items: string[] }[]): Promise<void>;
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
  return {
    queue,
    redis,
    prefix: settings.prefix,
    settings,
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
          data: { runId, chunk: c.chunk, items: c.items },
          opts: { ...CHUNK_JOB_OPTIONS, jobId: chunkJobId(runId, c.chunk) },
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
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}

/**
 * For the API's /ready (built apart): true when the queue is off (nothing to reach) or Redis answers.
 * `queueReady(ctx.queue)` in a readiness check.
 */
export async function queueReady(q: RunQueue | null, timeoutMs = 1000): Promise<boolean> {
  return q === null ? true : q.ready(timeoutMs);
}
