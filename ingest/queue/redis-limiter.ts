import type { Redis } from 'ioredis';
import type { Limiter } from '../runner/rate-limiter.ts';

/**
 * The runner's two token buckets (requests and tokens per minute, each holding one second of its rate:
 * ingest/runner/rate-limiter.ts), kept in one Redis hash per provider so every worker draws from the same
 * quota. Choices made here:
 * - a Lua script refills and takes atomically, on Redis's clock (TIME), so workers' clocks do not matter;
 * - a refused take answers how long to wait; the waiter sleeps that long (at most 1 s) and tries again, so
 *   there is no cross-process queue (no fairness between workers, which a quota does not need);
 * - BullMQ's own limiter is per queue and counts jobs, not a provider's requests and tokens, and
 *   rate-limiter-flexible's Redis limiters are fixed windows (a window's edge lets twice the rate through
 *   within a second), so this is a small script of our own (~30 lines) with the runner's semantics.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0')
if blocked > now then return blocked - now end
local rates = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local costs = { 1, tonumber(ARGV[3]) }
local names = { 'r', 't' }
local levels = {}
local wait = 0
for i = 1, 2 do
  if rates[i] > 0 then
    local rate = rates[i] / 60000
    local cap = math.max(1, rates[i] / 60)
    local level = tonumber(redis.call('HGET', KEYS[1], names[i]) or tostring(cap))
    local last = tonumber(redis.call('HGET', KEYS[1], names[i] .. 'at') or tostring(now))
    level = math.min(cap, level + (now - last) * rate)
    levels[i] = level
    local need = math.min(costs[i], cap)
    if level < need then wait = math.max(wait, math.ceil((need - level) / rate)) end
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  if rates[i] > 0 then
    redis.call('HSET', KEYS[1], names[i], tostring(levels[i] - costs[i]), names[i] .. 'at', tostring(now))
  end
end
redis.call('PEXPIRE', KEYS[1], 300000)
return 0
`;

/** estimate → actual: the tokens bucket pays the difference (it may go negative: later takes wait). */
const SETTLE = `
if redis.call('HEXISTS', KEYS[1], 't') == 1 then redis.call('HINCRBYFLOAT', KEYS[1], 't', ARGV[1]) end
return 0
`;

const BLOCK = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'blocked') or '0')
local t = redis.call('TIME')
local until_ = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
if until_ > cur then redis.call('HSET', KEYS[1], 'blocked', tostring(until_)) end
redis.call('PEXPIRE', KEYS[1], 300000)
return 0
`;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class RedisLimiter implements Limiter {
  private readonly key: string;

  /** `provider`: ingest/queue/spec.ts limitKey; `prefix`: the install's QUEUE_PREFIX. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    provider: string,
    private readonly limits: { rpm?: number | undefined; tpm?: number | undefined },
  ) {
    this.key = `${prefix}:ratelimit:${provider}`;
  }

  async acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = Number(
        await this.redis.eval(TAKE, 1, this.key, this.limits.rpm ?? 0, this.limits.tpm ?? 0, tokens),
      );
      if (wait <= 0) return;
      // a little jitter so waiting workers do not all retry in the same millisecond
      await sleep(Math.min(wait, 1000) + Math.floor(Math.random() * 5), signal);
    }
  }

  settle(estimated: number, actual: number): void {
    if (!this.limits.tpm || actual === estimated) return;
    void this.redis.eval(SETTLE, 1, this.key, estimated - actual).catch(() => undefined);
  }

  block(until: number): void {
    // `until` is on the runner's clock (systemClock: performance.now())
    const ms = Math.ceil(until - performance.now());
    if (ms > 0) void this.redis.eval(BLOCK, 1, this.key, ms).catch(() => undefined);
  }
}
