import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoginLimiter, memoryLoginLimiter, redisLoginLimiter } from '../../api/auth/login-limit.ts';
import { startRedis } from '../helpers/queue.ts';

const limits = { maxAttempts: 3, windowS: 1 };
let redis: Redis;
let server: Awaited<ReturnType<typeof startRedis>>;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const kinds: [string, () => LoginLimiter][] = [
  ['memory', () => memoryLoginLimiter(limits)],
  ['redis', () => redisLoginLimiter(redis, `tl-${Math.random().toString(36).slice(2)}`, limits)],
];

describe.each(kinds)('login limiter (%s)', (_name, make) => {
  it('blocks an account after maxAttempts failures, from any address, until the window ends', async () => {
    const l = make();
    for (let i = 0; i < 3; i++) {
      expect(await l.blockedFor('A@x.io', `10.0.0.${i}`)).toBe(0);
      await l.recordFailure('a@x.io', `10.0.0.${i}`);
    }
    expect(await l.blockedFor('a@x.io', '10.9.9.9')).toBeGreaterThan(0);
    expect(await l.blockedFor('b@x.io', '10.9.9.9')).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await l.blockedFor('a@x.io', '10.9.9.9')).toBe(0);
  });

  it('blocks an address trying many accounts; a success resets the account only', async () => {
    const l = make();
    for (const e of ['1@x.io', '2@x.io', '3@x.io']) await l.recordFailure(e, '10.1.1.1');
    expect(await l.blockedFor('4@x.io', '10.1.1.1')).toBeGreaterThan(0);
    expect(await l.blockedFor('4@x.io', '10.1.1.2')).toBe(0);
    await l.recordFailure('5@x.io', '10.2.2.2');
    await l.recordFailure('5@x.io', '10.2.2.3');
    await l.recordSuccess('5@x.io');
    await l.recordFailure('5@x.io', '10.2.2.4');
    await l.recordFailure('5@x.io', '10.2.2.5');
    expect(await l.blockedFor('5@x.io', '10.2.2.6')).toBe(0);
  });
});

it('the Redis counts are shared by two limiters (two replicas)', async () => {
  const prefix = 'tl-shared';
  const other = new Redis(server.url);
  const a = redisLoginLimiter(redis, prefix, limits);
  const b = redisLoginLimiter(other, prefix, limits);
  await a.recordFailure('s@x.io', '10.3.3.1');
  await b.recordFailure('s@x.io', '10.3.3.2');
  await a.recordFailure('s@x.io', '10.3.3.3');
  expect(await b.blockedFor('s@x.io', '10.3.3.4')).toBeGreaterThan(0);
  expect(await redis.keys(`${prefix}:login:*`)).toContain(`${prefix}:login:acct:s@x.io`);
  other.disconnect();
});
