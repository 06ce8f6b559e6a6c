/**
 * POST/GET /models/{id}/health on both engines (#22): a check now against the fake provider, recorded and
 * listed newest first; a failure (the fake toggled) without the key in any answer or log line; 404, 409
 * and 400 refusals.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const KEY = 'sk-health-route-7c1e9a0b3d5f2468';
const SECRET = `v1:${Buffer.alloc(32, 9).toString('base64')}`;

describe.each(['duckdb', 'mysql'] as const)('/models/{id}/health on %s', (engine) => {
  const tmp = tmpDir('evalhouse-health-api-');
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let ctx: AppContext;
  let app: FastifyInstance;
  let fake: FakeProvider;
  const bodies: string[] = [];
  const logs: string[] = [];

  async function call(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
    const res = await app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    bodies.push(res.body);
    // biome-ignore lint/suspicious/noExplicitAny: an answer read field by field, each checked by an expectation
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Record<string, any> };
  }

  beforeAll(async () => {
    fake = await startFakeProvider({
      latencyMs: 1,
      apiKey: KEY,
      models: ['claude-fake'],
      rateLimit: { requests: 50, tokens: 10_000, windowMs: 60_000 },
    });
    db = engine === 'mysql' ? await createTestDatabase('healthapi') : null;
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: join(tmp.dir, `${engine}.duckdb`),
        DEMO_DATA: 'off',
        AUTH: 'off',
        LOG_LEVEL: 'debug',
        MODEL_HEALTH_INTERVAL_S: '0',
        ...(db ? { MYSQL_URL: db.url, MODEL_KEYS_SECRETS: SECRET } : {}),
      }),
      { mirrorLoop: false },
    );
    app = await buildApp(ctx, { logger: true, logStream: { write: (l: string) => void logs.push(l) } });
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await fake?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('checks now, records the check, and lists the history newest first with a failure and a recovery', async () => {
    const created = await call('POST', '/models', {
      name: 'claude',
      provider: 'anthropic',
      model: 'claude-fake',
      base_url: fake.anthropicBaseURL,
      api_key: KEY,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const ok = await call('POST', `/models/${id}/health`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', error: null });
    expect(ok.body.latency_ms).toBeGreaterThanOrEqual(0);
    // Anthropic's headers as the fake sent them with the one-token completion (the first it counted)
    expect(ok.body.limits).toMatchObject({ requestsLimit: 50, requestsRemaining: 49, tokensLimit: 10_000 });
    const sent = fake.requests.filter((r) => r.method === 'POST');
    expect(sent.at(-1)!.body).toMatchObject({ model: 'claude-fake', max_tokens: 1 });
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === '/v1/models')).toBe(true);

    fake.set({
      fault: (c) => (c.body.max_tokens === 1 ? { type: 'status', status: 500, message: 'boom' } : undefined),
    });
    const down = await call('POST', `/models/${id}/health`);
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'error' });
    expect(down.body.error).toMatch(/completion: .*500/);
    fake.set({ fault: undefined });
    expect((await call('POST', `/models/${id}/health`)).body.status).toBe('ok');

    const history = await call('GET', `/models/${id}/health`);
    expect(history.status).toBe(200);
    expect(history.body.checks.map((c: { status: string }) => c.status)).toEqual(['ok', 'error', 'ok']);
    const at = history.body.checks.map((c: { at: string }) => Date.parse(c.at));
    expect([...at].sort((a, b) => b - a)).toEqual(at);
    expect((await call('GET', `/models/${id}/health?limit=1`)).body.checks).toHaveLength(1);
    // the model shows its latest check
    expect((await call('GET', `/models/${id}`)).body.health).toMatchObject({ status: 'ok' });
    expect(bodies.join('\n')).not.toContain(KEY);
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it('refuses an unknown model (404), an inactive one (409) and a bad id or limit (400)', async () => {
    expect((await call('POST', '/models/999999/health')).status).toBe(404);
    expect((await call('GET', '/models/999999/health')).status).toBe(404);
    const m = await call('POST', '/models', {
      name: 'sleepy',
      provider: 'anthropic',
      model: 'claude-fake',
      base_url: fake.anthropicBaseURL,
      api_key: KEY,
      active: false,
    });
    expect(m.status).toBe(201);
    const inactive = await call('POST', `/models/${m.body.id}/health`);
    expect(inactive.status).toBe(409);
    expect(inactive.body.message).toMatch(/inactive/);
    expect((await call('GET', '/models/abc/health')).status).toBe(400);
    expect((await call('GET', `/models/${m.body.id}/health?limit=0`)).status).toBe(400);
  });
});
