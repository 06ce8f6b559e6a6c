import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.ts';
import type { Clock } from './clock.ts';
import { selectItems } from './plan.ts';
import { RateLimiter } from './rate-limiter.ts';

const policy = { maxAttempts: 5, baseMs: 100, maxMs: 1000 };

describe('backoff', () => {
  it('is full jitter under an exponential ceiling', () => {
    expect(backoffMs(policy, 1, null, () => 0.999)).toBeLessThan(100);
    expect(backoffMs(policy, 3, null, () => 0.999)).toBeCloseTo(399.6);
    expect(backoffMs(policy, 10, null, () => 1)).toBe(1000);
    expect(backoffMs(policy, 2, null, () => 0)).toBe(0);
  });
  it('never waits less than retry-after', () => {
    expect(backoffMs(policy, 1, 2500, () => 0.5)).toBe(2500);
    expect(backoffMs(policy, 4, 10, () => 0.5)).toBe(400);
  });
});

/** A clock whose sleeps advance time instantly. */
function virtualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

describe('rate limiter', () => {
  it('spaces requests at the rpm rate after a one-second burst', async () => {
    const clock = virtualClock();
    const rl = new RateLimiter(clock, { rpm: 600 }); // 10/s, burst of 10
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      await rl.acquire(1);
      times.push(clock.t);
    }
    expect(times.slice(0, 10).every((t) => t === 0)).toBe(true);
    // 20 more at 10/s take 2 s.
    expect(times[29]).toBeGreaterThanOrEqual(1990);
    expect(times[29]).toBeLessThanOrEqual(2100);
  });
  it('holds tokens per minute, and lets a request bigger than the bucket through when full', async () => {
    const clock = virtualClock();
    const rl = new RateLimiter(clock, { tpm: 60_000 }); // 1000 tokens/s, bucket 1000
    await rl.acquire(3000); // bigger than the bucket: allowed at once, bucket goes to -2000
    expect(clock.t).toBe(0);
    await rl.acquire(500);
    expect(clock.t).toBeGreaterThanOrEqual(2500);
  });
  it('blocks everyone until a retry-after passes', async () => {
    const clock = virtualClock();
    const rl = new RateLimiter(clock, {});
    rl.block(1234);
    await rl.acquire(1);
    expect(clock.t).toBe(1234);
  });
});

describe('selectItems', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}` }));
  it('takes the first N without a seed', () => {
    expect(selectItems(items, 3, null).map((x) => x.id)).toEqual(['i0', 'i1', 'i2']);
  });
  it('is deterministic for a seed, different across seeds, nested as N grows, and order-independent', () => {
    const a = selectItems(items, 10, 7);
    expect(selectItems(items, 10, 7)).toEqual(a);
    expect(selectItems(items, 10, 8)).not.toEqual(a);
    const bigger = new Set(selectItems(items, 20, 7).map((x) => x.id));
    expect(a.every((x) => bigger.has(x.id))).toBe(true);
    const reversed = selectItems([...items].reverse(), 10, 7).map((x) => x.id);
    expect(new Set(reversed)).toEqual(new Set(a.map((x) => x.id)));
  });
});
