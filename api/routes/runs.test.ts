import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBenchmarkFolder } from '../../test/fake-provider/bench-folder.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { installErrorHandler } from '../errors.ts';
import runsRoutes from './runs.ts';

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
    store,
    env: { FAKE_KEY: 'sk-fake' },
    benchmarksRoot: tmp.dir,
    modelsFile: join(tmp.dir, 'models.yaml'),
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
    expect(unknown.json().message).toMatch(/no such benchmark folder/);
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
