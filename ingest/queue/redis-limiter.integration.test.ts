import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../test/helpers/queue.ts';
import { RedisLimiter } from './redis-limiter.ts';

let server: Awaited<ReturnType<typeof startRedis>>;
let a: Redis;
let b: Redis;
beforeAll(async () => {
  server = await startRedis();
  a = new Redis(server.url);
  b = new Redis(server.url);
});
afterAll(async () => {
  a?.disconnect();
  b?.disconnect();
  await server?.stop();
});

const timeOf = async (f: () => Promise<void>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

describe('RedisLimiter (token buckets shared through Redis)', () => {
  it('two clients draw from one request bucket: a second of burst, then the rate', async () => {
    const limits = { rpm: 600 }; // 10 a second, a bucket of 10
    const one = new RedisLimiter(a, 'tl1', 'p', limits);
    const two = new RedisLimiter(b, 'tl1', 'p', limits);
    // the bucket's 10, taken by both clients, go at once
    const burst = await timeOf(async () => {
      for (let i = 0; i < 5; i++) {
        await one.acquire(1);
        await two.acquire(1);
      }
    });
    expect(burst).toBeLessThan(300);
    // 10 more must wait for the refill: about a second, whichever client asks
    const refill = await timeOf(async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).acquire(1)));
    });
    expect(refill).toBeGreaterThan(800);
    expect(refill).toBeLessThan(2500);
  });

  it('tokens: a take waits for the estimate, and settle() charges the difference to everyone', async () => {
    const limits = { tpm: 60_000 }; // 1,000 tokens a second, a bucket of 1,000
    const one = new RedisLimiter(a, 'tl2', 'p', limits);
    const two = new RedisLimiter(b, 'tl2', 'p', limits);
    await one.acquire(1000);
    // the request used 1,500 more than estimated: the bucket owes them, so the next take waits ~1.5 s + its own
    one.settle(1000, 2500);
    await new Promise((r) => setTimeout(r, 50));
    const wait = await timeOf(() => two.acquire(500));
    expect(wait).toBeGreaterThan(1500);
    expect(wait).toBeLessThan(3500);
  });

  it('block() (a retry-after) holds every client until then; an aborted wait rejects', async () => {
    const one = new RedisLimiter(a, 'tl3', 'p', { rpm: 6000 });
    const two = new RedisLimiter(b, 'tl3', 'p', { rpm: 6000 });
    one.block(performance.now() + 600);
    await new Promise((r) => setTimeout(r, 50));
    const held = await timeOf(() => two.acquire(1));
    expect(held).toBeGreaterThan(450);
    two.block(performance.now() + 5000);
    await new Promise((r) => setTimeout(r, 50));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await expect(one.acquire(1, ac.signal)).rejects.toThrow('stop');
  });
});
