/**
 * The health schedule on both engines (#22): checks every active registered model against the fake
 * provider (list + one-token completion), records a failure and a recovery when the fake is toggled,
 * history newest first, no key in any recorded error; one replica per round through the Redis lock.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditActor } from '../../accounts/types.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { startModelHealth } from '../../models/health-schedule.ts';
import { providerOf, registryOf } from '../../models/registry.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ACTOR: AuditActor = {
  actor: { userId: 1, email: 'a@example.com', role: 'admin', keyId: null },
  requestId: 'req-health',
  address: '127.0.0.1',
};
const KEY = `sk-health-${randomBytes(12).toString('hex')}`;

describe.each(['duckdb', 'mysql'] as const)('model health schedule on %s', (engine) => {
  const tmp = tmpDir('evalhouse-health-');
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let fake: FakeProvider;
  let ids: { up: number; gemini: number; off: number };
  const logs: string[] = [];

  beforeAll(async () => {
    fake = await startFakeProvider({ apiKey: KEY, models: ['gpt-fake', 'gemini-fake'] });
    db = engine === 'mysql' ? await createTestDatabase('health') : null;
    const config = loadConfig({
      DUCKDB_PATH: join(tmp.dir, 'h.duckdb'),
      DEMO_DATA: 'off',
      MODEL_KEYS_SECRETS: `v1:${randomBytes(32).toString('base64')}`,
      RUN_ALLOW_LOOPBACK_URLS: 'true',
      ...(db ? { MYSQL_URL: db.url } : {}),
    });
    ctx = await openContext(config);
    workspaces = new Workspaces(ctx);
    const r = registryOf(ctx, 1);
    const up = await r.create(
      { name: 'up', provider: 'openai', model: 'gpt-fake', base_url: fake.openaiBaseURL, api_key: KEY },
      ACTOR,
    );
    const gemini = await r.create(
      { name: 'gem', provider: 'google', model: 'gemini-fake', base_url: fake.geminiBaseURL, api_key: KEY },
      ACTOR,
    );
    const off = await r.create(
      {
        name: 'off',
        provider: 'openai',
        model: 'gpt-fake',
        base_url: fake.openaiBaseURL,
        api_key: KEY,
        active: false,
      },
      ACTOR,
    );
    ids = { up: up.id, gemini: gemini.id, off: off.id };
  });
  afterAll(async () => {
    await workspaces?.close();
    await ctx?.close();
    await db?.drop();
    await fake?.close();
    tmp.cleanup();
  });

  const schedule = (o: Partial<Parameters<typeof startModelHealth>[0]> = {}) =>
    startModelHealth({
      accounts: ctx.accounts ?? null,
      workspaces,
      everyMs: 0,
      providerOf,
      log: (m) => logs.push(m),
      ...o,
    });

  it('records a failure and a recovery when the provider goes down and comes back; history newest first', async () => {
    const registry = registryOf(ctx, 1);
    const h = schedule();
    fake.set({ rateLimit: { requests: 100, windowMs: 60_000 } });
    expect(await h.runOnce()).toBe(2); // the inactive model is not checked
    fake.set({ fault: () => ({ type: 'status', status: 503, message: 'upstream is down' }) });
    await new Promise((r) => setTimeout(r, 5)); // distinct instants
    expect(await h.runOnce()).toBe(2);
    fake.set({ fault: undefined });
    await new Promise((r) => setTimeout(r, 5));
    expect(await h.runOnce()).toBe(2);
    await h.stop();

    const history = await registry.healthHistory(ids.up);
    expect(history.map((c) => c.status)).toEqual(['ok', 'error', 'ok']);
    const at = history.map((c) => Date.parse(c.at));
    expect(at[0]!).toBeGreaterThan(at[1]!);
    expect(at[1]!).toBeGreaterThan(at[2]!);
    expect(history[1]!.error).toMatch(/503/);
    expect(history[1]!.error).toMatch(/upstream is down/);
    expect(history[0]!.latency_ms).toBeGreaterThanOrEqual(0);
    // the completion's headers: the fake's budget of 100, less the completions it answered this window (two
    // per healthy round; the last round's Gemini check may land before or after this one)
    expect(history[0]!.limits).toMatchObject({ requestsLimit: 100 });
    expect([96, 97]).toContain(history[0]!.limits!.requestsRemaining);
    expect((await registry.healthHistory(ids.gemini)).map((c) => c.status)).toEqual(['ok', 'error', 'ok']);
    expect(await registry.healthHistory(ids.off)).toEqual([]);
    // the latest check is the model's health as answers show it
    expect((await registry.get(ids.up))!.health).toMatchObject({ status: 'ok' });
    // each check listed the models, then asked one token
    const asked = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/chat/completions');
    expect(asked.at(-1)!.body).toMatchObject({ max_completion_tokens: 1, stream: true });
    expect(fake.requests.some((q) => q.method === 'GET' && q.path === '/v1/models')).toBe(true);
    expect(fake.requests.some((q) => q.method === 'GET' && q.path === '/v1beta/models')).toBe(true);
    fake.set({ rateLimit: undefined });
  });

  it('records a wrong key or an unlisted model as an error without the key, and runs on its timer', async () => {
    const registry = registryOf(ctx, 1);
    const wrong = `sk-wrong-${randomBytes(8).toString('hex')}`;
    await registry.update(ids.up, { api_key: wrong }, ACTOR);
    await registry.update(ids.gemini, { model: 'gemini-missing' }, ACTOR);
    const h = schedule({ everyMs: 200 });
    const deadline = Date.now() + 5000;
    while ((await registry.healthHistory(ids.up)).length < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await h.stop();
    const [latest] = await registry.healthHistory(ids.up);
    expect(latest).toMatchObject({ status: 'error' });
    expect(latest!.error).toMatch(/401/);
    expect(latest!.error).not.toContain(wrong);
    const [gem] = await registry.healthHistory(ids.gemini);
    expect(gem!.error).toMatch(/does not list the model "gemini-missing"/);
    await registry.update(ids.up, { api_key: KEY }, ACTOR);
    await registry.update(ids.gemini, { model: 'gemini-fake' }, ACTOR);
  });

  if (engine === 'mysql')
    it('checks on one replica per round when Redis is configured', async () => {
      const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      const prefix = `health-test-${randomBytes(4).toString('hex')}`;
      try {
        const a = schedule({ redis, prefix, everyMs: 60_000 });
        const b = schedule({ redis, prefix, everyMs: 60_000 });
        expect(await a.runOnce()).toBe(2);
        expect(await b.runOnce()).toBe(0);
        expect(await a.runOnce()).toBe(0); // the round is taken until the lock lapses
        await Promise.all([a.stop(), b.stop()]);
        expect(await redis.pttl(`${prefix}:model-health:lock`)).toBeGreaterThan(50_000);
      } finally {
        await redis.del(`${prefix}:model-health:lock`);
        redis.disconnect();
      }
    });
});
