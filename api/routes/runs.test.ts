import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { writeBenchmarkFolder } from '../../test/fake-provider/bench-folder.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { installErrorHandler } from '../errors.ts';
import { type RunPolicy, runsRoutes } from './runs.ts';

let fake: FakeProvider;
let app: FastifyInstance;
const store = new MemoryStore();
const tmp = tmpDir('evalhouse-runs-api-');

beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 20, answer: (c) => answerFor(c.prompt) });
  writeBenchmarkFolder(join(tmp.dir, 'fake-mc'), 40);
  app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(runsRoutes, {
    ctx: {
      record: store,
      config: { ...loadConfig({}), env: { FAKE_KEY: 'sk-fake' } },
      files: { benchmarks: tmp.dir, models: join(tmp.dir, 'models.yaml') },
    },
  });
});
afterAll(async () => {
  await app.close();
  await fake.close();
  tmp.cleanup();
});

async function waitFor(id: number, status: string) {
  for (let i = 0; i < 200; i++) {
    const res = await app.inject({ method: 'GET', url: `/runs/${id}` });
    if (res.json().status === status && !res.json().active) return res.json();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${id} never reached ${status}`);
}

describe('POST /runs and GET /runs/:id', () => {
  it('starts a run in the background (202) and reports its progress and accuracy', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: {
        benchmark: 'fake-mc',
        model: 'openai-compatible:fake',
        base_url: fake.openaiBaseURL,
        run_id: 'api-1',
        concurrency: 4,
      },
    });
    expect(res.statusCode).toBe(202);
    const { id, label } = res.json();
    expect(label).toBe('api-1');
    const during = await app.inject({ method: 'GET', url: `/runs/${id}` });
    expect(during.statusCode).toBe(200);
    expect(during.json()).toMatchObject({ id, status: 'running', benchmark: 'fake-mc' });
    const done = await waitFor(id, 'completed');
    expect(done.progress).toMatchObject({
      done: 40,
      total: 40,
      correct: 20,
      incorrect: 20,
      errors: 0,
      accuracy: 0.5,
    });
    expect(store.rows(id)).toHaveLength(40);
  });

  it('refuses a resume with another configuration (409) and a running duplicate', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: {
        benchmark: 'fake-mc',
        model: 'openai-compatible:fake',
        base_url: fake.openaiBaseURL,
        run_id: 'api-1',
        limit: 5,
      },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/limit: null → 5/);
  });

  it('answers 400 with the reason for bad input, a missing key, and an unsafe key redirection', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: '../etc', model: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('VALIDATION_FAILED');
    const extra = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: 'fake-mc', model: 'openai:x', bogus: 1 },
    });
    expect(extra.statusCode).toBe(400);
    const noKey = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: 'fake-mc', model: 'openai:gpt-x' },
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().message).toMatch(/OPENAI_API_KEY/);
    const redirect = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: {
        benchmark: 'fake-mc',
        model: 'openai-compatible:x',
        base_url: 'http://evil.example/v1',
        api_key_env: 'FAKE_KEY',
      },
    });
    expect(redirect.statusCode).toBe(400);
    expect(redirect.json().message).toMatch(/api_key_env/);
    const unknown = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: 'nope', model: 'openai-compatible:x', base_url: fake.openaiBaseURL },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/unknown benchmark "nope"; known: fake-mc/);
  });

  it('an unknown benchmark is answered with the known slugs, never a server path', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: 'nope', model: 'openai-compatible:x', base_url: fake.openaiBaseURL },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(tmp.dir);
    expect(res.json().details).toMatchObject({ benchmark: 'nope', known: ['fake-mc'] });
  });

  it('a broken benchmark folder is answered with its problems, without the server path', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(tmp.dir, 'no-yaml'), { recursive: true });
    const res = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: { benchmark: 'no-yaml', model: 'openai-compatible:x', base_url: fake.openaiBaseURL },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/benchmark no-yaml cannot be run: benchmark.yaml: missing in no-yaml/);
    expect(res.body).not.toContain(tmp.dir);
  });

  it('answers 404 {error, message} for an unknown run', async () => {
    const res = await app.inject({ method: 'GET', url: '/runs/99999' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: 'NOT_FOUND',
      message: expect.stringMatching(/unknown run "99999"/),
    });
  });
});

const DEFAULT_POLICY = loadConfig({}).runs;

/** An app with its own store and policy, for the relay checks and the stop/list/delete endpoints. */
async function appWith(policy: Partial<RunPolicy> = {}, s = new MemoryStore()) {
  const a = Fastify();
  a.setValidatorCompiler(validatorCompiler);
  a.setSerializerCompiler(serializerCompiler);
  installErrorHandler(a);
  const config = loadConfig({});
  await a.register(runsRoutes, {
    ctx: {
      record: s,
      config: {
        ...config,
        env: { FAKE_KEY: 'sk-fake', PATH: '/usr/bin', OPENAI_API_KEY: 'sk-openai' },
        runs: { ...config.runs, ...policy },
      },
      files: { benchmarks: tmp.dir, models: join(tmp.dir, 'models.yaml') },
    },
  });
  return a;
}

describe('POST /runs is not an open relay', () => {
  const start = (a: FastifyInstance, payload: Record<string, unknown>) =>
    a.inject({ method: 'POST', url: '/runs', payload: { benchmark: 'fake-mc', ...payload } });

  it('refuses concurrency and samples over the configured caps, naming the setting', async () => {
    const a = await appWith({ maxConcurrency: 8, maxSamples: 4 });
    try {
      const before = fake.requests.length;
      const c = await start(a, {
        model: 'openai-compatible:x',
        base_url: fake.openaiBaseURL,
        concurrency: 1024,
      });
      expect(c.statusCode).toBe(400);
      expect(c.json().message).toMatch(/concurrency 1024 .*cap of 8 \(RUN_MAX_CONCURRENCY\)/);
      const s = await start(a, { model: 'openai-compatible:x', base_url: fake.openaiBaseURL, samples: 1000 });
      expect(s.statusCode).toBe(400);
      expect(s.json().message).toMatch(/samples 1000 .*cap of 4 \(RUN_MAX_SAMPLES\)/);
      expect(fake.requests.length).toBe(before);
    } finally {
      await a.close();
    }
  });

  it('refuses a run beyond RUN_MAX_ACTIVE runs in flight (503 naming the setting)', async () => {
    const a = await appWith({ maxActive: 1 });
    fake.set({ latencyMs: 200 });
    try {
      const body = { model: 'openai-compatible:x', base_url: fake.openaiBaseURL, concurrency: 1 };
      const first = await start(a, { ...body, run_id: 'first' });
      expect(first.statusCode).toBe(202);
      const second = await start(a, { ...body, run_id: 'second' });
      expect(second.statusCode).toBe(503);
      expect(second.json().message).toMatch(/RUN_MAX_ACTIVE/);
      await a.inject({ method: 'POST', url: `/runs/${first.json().id}/cancel` });
      expect((await start(a, { ...body, run_id: 'second', limit: 1 })).statusCode).toBe(202);
    } finally {
      fake.set({ latencyMs: 20 });
      await a.close();
    }
  });

  it('the defaults cap concurrency at 32 and samples at 64', async () => {
    expect(DEFAULT_POLICY).toMatchObject({ maxConcurrency: 32, maxSamples: 64, maxActive: 4 });
    const res = await start(app, {
      model: 'openai-compatible:x',
      base_url: fake.openaiBaseURL,
      concurrency: 33,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/RUN_MAX_CONCURRENCY/);
  });

  it.each([
    ['file:///etc/passwd', /only http and https/],
    ['http://169.254.169.254/latest/meta-data', /link-local, metadata or reserved/],
    ['http://[fd00:ec2::254]/v1', /link-local, metadata or reserved/],
    ['http://[::ffff:169.254.169.254]/v1', /link-local, metadata or reserved/],
    ['http://[64:ff9b::a9fe:a9fe]/v1', /stands for 169\.254\.169\.254/],
    ['http://[2002:a9fe:a9fe::1]/v1', /stands for 169\.254\.169\.254/],
    ['http://2852039166/v1', /169\.254\.169\.254 is a link-local/],
    ['http://metadata.google.internal/computeMetadata/v1', /cloud metadata service/],
    ['http://0.0.0.0:8080/v1', /reserved/],
    ['http://10.1.2.3:8000/v1', /private address.*RUN_ALLOW_PRIVATE_URLS=true/],
    ['http://192.168.1.20/v1', /private address.*RUN_ALLOW_PRIVATE_URLS=true/],
    ['http://[fd12::1]/v1', /private address.*RUN_ALLOW_PRIVATE_URLS=true/],
  ])('refuses base_url %s with a 400 saying why', async (url, why) => {
    const res = await start(app, { model: 'openai-compatible:x', base_url: url });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringMatching(why) });
  });

  it('refuses loopback when RUN_ALLOW_LOOPBACK_URLS is off, also behind a name that resolves to 127.0.0.1', async () => {
    const a = await appWith({ allowLoopbackUrls: false });
    try {
      const before = fake.requests.length;
      const ip = await start(a, { model: 'openai-compatible:x', base_url: fake.openaiBaseURL });
      expect(ip.statusCode).toBe(400);
      expect(ip.json().message).toMatch(/loopback address; set RUN_ALLOW_LOOPBACK_URLS=true/);
      const byName = await start(a, {
        model: 'openai-compatible:x',
        base_url: fake.openaiBaseURL.replace('127.0.0.1', 'localhost'),
      });
      expect(byName.statusCode).toBe(400);
      expect(byName.json().message).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
      expect(fake.requests.length).toBe(before);
    } finally {
      await a.close();
    }
  });

  it('allows private addresses when RUN_ALLOW_PRIVATE_URLS is on, and loopback by default on a loopback server', async () => {
    expect(loadConfig({}).runs.allowLoopbackUrls).toBe(true);
    expect(loadConfig({ HOST: '0.0.0.0' }).runs.allowLoopbackUrls).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', RUN_ALLOW_LOOPBACK_URLS: 'true' }).runs.allowLoopbackUrls).toBe(
      true,
    );
    expect(loadConfig({ RUN_ALLOW_PRIVATE_URLS: 'true' }).runs.allowPrivateUrls).toBe(true);
    const { checkBaseUrl } = await import('../../ingest/providers/url-policy.ts');
    await expect(
      checkBaseUrl('http://10.1.2.3:8000/v1', { allowPrivateUrls: true, allowLoopbackUrls: false }),
    ).resolves.toBeUndefined();
    // link-local stays refused whatever is allowed
    await expect(
      checkBaseUrl('http://169.254.169.254/', { allowPrivateUrls: true, allowLoopbackUrls: true }),
    ).rejects.toThrow(/link-local/);
  });

  it('takes API keys only from allowed variables: api_key_env PATH is refused', async () => {
    const a = await appWith();
    try {
      const path = await start(a, { model: 'openai:gpt-x', api_key_env: 'PATH' });
      expect(path.statusCode).toBe(400);
      expect(path.json().message).toMatch(/api_key_env PATH is not an API key variable.*RUN_KEY_ENVS/);
      expect(path.json().message).not.toContain('/usr/bin');
      expect(DEFAULT_POLICY.keyEnvs).toEqual([
        'OPENAI_API_KEY',
        'ANTHROPIC_API_KEY',
        'GEMINI_API_KEY',
        'GOOGLE_API_KEY',
      ]);
      // an allowed variable is accepted (it then fails at the vendor, which is not ours to reach here)
      const ok = await a.inject({
        method: 'POST',
        url: '/runs',
        payload: { benchmark: 'nope', model: 'openai:gpt-x', api_key_env: 'OPENAI_API_KEY' },
      });
      expect(ok.json().message).toMatch(/unknown benchmark/);
    } finally {
      await a.close();
    }
  });

  it('a base URL cannot redirect a models.yaml model (and its key) elsewhere', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(tmp.dir, 'models.yaml'),
      'models:\n  - name: local\n    provider: openai-compatible\n    model: m\n    base_url: http://127.0.0.1:1/v1\n    api_key_env: FAKE_KEY\n',
    );
    const a = await appWith();
    try {
      const res = await start(a, { model: 'local', base_url: fake.openaiBaseURL });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/base_url is accepted for ad hoc openai-compatible/);
    } finally {
      await a.close();
      writeFileSync(join(tmp.dir, 'models.yaml'), 'models: []\n');
    }
  });
});

describe('GET /runs, POST /runs/:id/cancel, DELETE /runs/:id, DELETE /benchmarks/:b/data', () => {
  // a killed import leaves its runs 'importing' and GET /runs lists them so, but ?status=importing was a 400
  it('filters by every status a run can have, importing too', async () => {
    const s = new MemoryStore();
    const a = await appWith({}, s);
    try {
      const run = await s.ensureRun({
        benchmark: 'b',
        model: 'm',
        label: 'half',
        source: 'import',
        status: 'importing',
      });
      await s.ensureRun({ benchmark: 'b', model: 'm', label: 'whole', source: 'import', status: 'imported' });
      const res = await a.inject({ method: 'GET', url: '/runs?status=importing' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ total: 1, runs: [{ id: run.id, status: 'importing' }] });
    } finally {
      await a.close();
    }
  });

  it('lists, cancels (paused, resumable), refuses to delete a running run, then deletes it and its results', async () => {
    const s = new MemoryStore();
    const a = await appWith({}, s);
    fake.set({ latencyMs: 100 });
    try {
      const post = (payload: Record<string, unknown>) =>
        a.inject({
          method: 'POST',
          url: '/runs',
          payload: {
            benchmark: 'fake-mc',
            model: 'openai-compatible:slow',
            base_url: fake.openaiBaseURL,
            concurrency: 2,
            ...payload,
          },
        });
      const started = await post({ run_id: 'to-cancel' });
      expect(started.statusCode).toBe(202);
      const { id } = started.json();

      const list = await a.inject({ method: 'GET', url: '/runs?status=running&benchmark=fake-mc' });
      expect(list.statusCode).toBe(200);
      expect(list.json()).toMatchObject({ total: 1, runs: [{ id, status: 'running', active: true }] });

      const refused = await a.inject({ method: 'DELETE', url: `/runs/${id}` });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().message).toMatch(/cancel it first/);

      const cancelled = await a.inject({ method: 'POST', url: `/runs/${id}/cancel` });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({
        id,
        status: 'paused',
        active: false,
        reason: expect.stringMatching(/cancelled through the API/),
      });
      const stored = s.rows(id).length;
      expect(stored).toBeLessThan(40);
      // nothing is asked after the cancel answered
      const asked = fake.requests.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(fake.requests.length).toBe(asked);
      // cancelling again changes nothing
      expect((await a.inject({ method: 'POST', url: `/runs/${id}/cancel` })).json().status).toBe('paused');

      fake.set({ latencyMs: 1 });
      const resumed = await post({ resume: id });
      expect(resumed.statusCode).toBe(202);
      expect(resumed.json().id).toBe(id);
      for (let i = 0; i < 400 && (await s.getRun(id))?.status !== 'completed'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(s.rows(id)).toHaveLength(40);

      const other = await post({ run_id: 'other', limit: 3 });
      for (let i = 0; i < 400 && (await s.getRun(other.json().id))?.status !== 'completed'; i++)
        await new Promise((r) => setTimeout(r, 25));
      const page = await a.inject({ method: 'GET', url: '/runs?limit=1' });
      expect(page.json()).toMatchObject({ total: 2, limit: 1, offset: 0, runs: [{ id: other.json().id }] });
      expect((await a.inject({ method: 'GET', url: '/runs?model=nobody' })).json().total).toBe(0);
      expect((await a.inject({ method: 'GET', url: '/runs?status=bogus' })).statusCode).toBe(400);

      const del = await a.inject({ method: 'DELETE', url: `/runs/${id}` });
      expect(del.statusCode).toBe(200);
      expect(del.json()).toEqual({
        deleted: { id, benchmark: 'fake-mc', model: 'openai-compatible:slow', label: 'to-cancel' },
      });
      expect(await s.getRun(id)).toBeNull();
      expect(s.rows(id)).toHaveLength(0);
      expect((await a.inject({ method: 'DELETE', url: `/runs/${id}` })).statusCode).toBe(404);

      const none = await a.inject({ method: 'DELETE', url: '/benchmarks/nope/data' });
      expect(none.statusCode).toBe(404);
      expect(none.json().message).toMatch(/known: fake-mc/);
      const all = await a.inject({ method: 'DELETE', url: '/benchmarks/fake-mc/data' });
      expect(all.json()).toEqual({ benchmark: 'fake-mc', runs_deleted: 1, run_ids: [other.json().id] });
      expect(await s.listRuns()).toHaveLength(0);
    } finally {
      fake.set({ latencyMs: 20 });
      await a.close();
    }
  });

  it('a run another process updated recently is neither cancelled nor deleted here; a stale one is', async () => {
    const s = new MemoryStore();
    const a = await appWith({}, s);
    try {
      const run = await s.ensureRun({
        benchmark: 'fake-mc',
        model: 'm',
        label: 'elsewhere',
        source: 'runner',
        status: 'running',
      });
      expect((await a.inject({ method: 'DELETE', url: `/runs/${run.id}` })).statusCode).toBe(409);
      const c = await a.inject({ method: 'POST', url: `/runs/${run.id}/cancel` });
      expect(c.statusCode).toBe(409);
      expect(c.json().message).toMatch(/running in another process/);
      run.updatedAt = new Date(Date.now() - 60_000).toISOString(); // its runner died a minute ago
      const stale = await a.inject({ method: 'POST', url: `/runs/${run.id}/cancel` });
      expect(stale.json()).toMatchObject({
        status: 'paused',
        reason: expect.stringMatching(/stopped updating/),
      });
      expect((await a.inject({ method: 'DELETE', url: `/runs/${run.id}` })).statusCode).toBe(200);
    } finally {
      await a.close();
    }
  });
});
