import { Redis } from 'ioredis';
import { startModelHealth } from '../models/health-schedule.ts';
import { providerOf } from '../models/registry.ts';
import type { AppContext } from './context.ts';
import type { Workspaces } from './tenancy.ts';

/**
 * The server's health schedule (models/health-schedule.ts) over its workspaces, every
 * MODEL_HEALTH_INTERVAL_S; with REDIS_URL, its own connection holds the replicas' shared lock.
 */
export function startServerModelHealth(
  ctx: AppContext,
  workspaces: Workspaces,
  log: (message: string) => void,
): { stop(): Promise<void> } {
  const every = ctx.config.modelHealthIntervalMs;
  if (every <= 0) return { stop: async () => {} };
  let redis: Redis | null = null;
  if (ctx.config.queue.redisUrl) {
    redis = new Redis(ctx.config.queue.redisUrl, { connectTimeout: 2000, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // a failed SET reaches the schedule, which checks anyway and logs it
  }
  const schedule = startModelHealth({
    accounts: ctx.accounts ?? null,
    workspaces,
    everyMs: every,
    providerOf,
    redis,
    prefix: ctx.config.queue.prefix,
    log,
  });
  return {
    async stop() {
      await schedule.stop();
      redis?.disconnect();
    },
  };
}
