import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../helpers/queue.ts';
import { type AuthTestApp, authTestApp, Browser } from './auth-app.ts';

/** Two replicas (each its own process state) sharing one Redis: the limits are the install's, not a replica's. */
describe('rate limits shared through Redis (REDIS_URL)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let one: AuthTestApp;
  let two: AuthTestApp;
  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'tsess',
      RATE_LIMIT_PER_MIN: '6',
      LOGIN_MAX_ATTEMPTS: '2',
      LOGIN_WINDOW_S: '60',
    };
    one = await authTestApp(env, 'mysql');
    two = await authTestApp(env, 'mysql');
  }, 60_000);
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await redis?.stop();
  });

  it('failed sign-ins on one replica count on the other; requests per address too', async () => {
    const a = new Browser(one.url);
    const b = new Browser(two.url);
    const login = { email: 'eve@example.com', password: 'guess-guess' };
    expect((await a.json('/auth/login', login)).status).toBe(401);
    expect((await b.json('/auth/login', login)).status).toBe(401);
    const blocked = await a.json('/auth/login', login);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { message: string }).message).toMatch(/failed sign-ins/);
    // 3 requests so far from this address; 3 more are allowed across both replicas, then 429
    for (const browser of [a, b, a]) expect((await browser.fetch('/auth/providers')).status).toBe(200);
    const limited = await b.fetch('/auth/providers');
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { message: string }).message).toMatch(/RATE_LIMIT_PER_MIN/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
