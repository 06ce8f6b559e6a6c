import type { Redis } from 'ioredis';

/**
 * Failed sign-ins counted per account (email) and per address in a fixed window: beyond `maxAttempts`
 * either one refuses every attempt, the right password included, until the window ends. A success does
 * not reset the address's count (one address trying many accounts stays limited); it resets the
 * account's. Redis (shared by the replicas) when configured, else this process's memory.
 */
export interface LoginLimiter {
  /** Seconds until an attempt is allowed again, or 0 when it is allowed now. */
  blockedFor(email: string, address: string): Promise<number>;
  recordFailure(email: string, address: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

export interface LoginLimits {
  maxAttempts: number;
  windowS: number;
}

const keysOf = (email: string, address: string) => [`acct:${email.trim().toLowerCase()}`, `addr:${address}`];

export function memoryLoginLimiter(limits: LoginLimits, now: () => number = Date.now): LoginLimiter {
  const counts = new Map<string, { n: number; resetAt: number }>();
  const live = (key: string) => {
    const c = counts.get(key);
    if (c && c.resetAt <= now()) {
      counts.delete(key);
      return undefined;
    }
    return c;
  };
  return {
    async blockedFor(email, address) {
      let wait = 0;
      for (const k of keysOf(email, address)) {
        const c = live(k);
        if (c && c.n >= limits.maxAttempts) wait = Math.max(wait, Math.ceil((c.resetAt - now()) / 1000));
      }
      return wait;
    },
    async recordFailure(email, address) {
      // bounded memory: expired windows go whenever the map grows large
      if (counts.size > 100_000) for (const k of counts.keys()) live(k);
      for (const k of keysOf(email, address)) {
        const c = live(k);
        if (c) c.n += 1;
        else counts.set(k, { n: 1, resetAt: now() + limits.windowS * 1000 });
      }
    },
    async recordSuccess(email) {
      counts.delete(keysOf(email, '')[0] as string);
    },
  };
}

export function redisLoginLimiter(redis: Redis, prefix: string, limits: LoginLimits): LoginLimiter {
  const full = (k: string) => `${prefix}:login:${k}`;
  return {
    async blockedFor(email, address) {
      const keys = keysOf(email, address).map(full);
      const pipe = redis.multi();
      for (const k of keys) pipe.get(k).pttl(k);
      const out = (await pipe.exec()) ?? [];
      let wait = 0;
      for (let i = 0; i < keys.length; i++) {
        const n = Number(out[2 * i]?.[1] ?? 0);
        const ttl = Number(out[2 * i + 1]?.[1] ?? -2);
        if (n >= limits.maxAttempts) wait = Math.max(wait, ttl > 0 ? Math.ceil(ttl / 1000) : limits.windowS);
      }
      return wait;
    },
    async recordFailure(email, address) {
      const pipe = redis.multi();
      // INCR then EXPIRE NX: the window starts at the first failure and is not pushed back by later ones
      for (const k of keysOf(email, address).map(full)) pipe.incr(k).expire(k, limits.windowS, 'NX');
      await pipe.exec();
    },
    async recordSuccess(email) {
      await redis.del(full(keysOf(email, '')[0] as string));
    },
  };
}
