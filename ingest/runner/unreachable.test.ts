import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor, testPlan } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { closedPort } from '../../test/helpers/closed-port.ts';
import { createAnthropicProvider } from '../providers/anthropic.ts';
import { createOpenAIProvider } from '../providers/openai.ts';
import type { Provider } from '../providers/types.ts';
import { runBenchmark } from './run-benchmark.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 1, answer: (c) => answerFor(c.prompt) });
});
afterAll(() => fake.close());

const openaiAt = (baseURL: string) =>
  createOpenAIProvider({
    client: new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0 }),
    model: 'gpt-fake',
    flavor: 'openai-compatible',
  });
const anthropicAt = (baseURL: string) =>
  createAnthropicProvider({
    client: new Anthropic({ apiKey: 'sk-ant-test', baseURL, maxRetries: 0 }),
    model: 'claude-fake',
  });

/** Counts the attempts the runner makes (there is no server to count them at a closed port). */
function counted(p: Provider): Provider & { attempts: number } {
  const c = {
    id: p.id,
    attempts: 0,
    complete: (req: Parameters<Provider['complete']>[0], o: Parameters<Provider['complete']>[1]) => {
      c.attempts++;
      return p.complete(req, o);
    },
  };
  return c;
}

const retry = { maxAttempts: 8, baseMs: 1, maxMs: 5 };

describe('a base URL nothing answers at', () => {
  it.each([
    ['OpenAI', (port: number) => `http://127.0.0.1:${port}/v1`, openaiAt],
    ['Anthropic', (port: number) => `http://127.0.0.1:${port}`, anthropicAt],
  ] as const)(
    'refused (%s SDK): the run fails after the first attempts, naming the URL and ECONNREFUSED',
    async (_, url, make) => {
      const port = await closedPort();
      const provider = counted(make(url(port)));
      const store = new MemoryStore();
      const out = await runBenchmark(testPlan(32, { concurrency: 4, retry }), { store, provider });
      expect(out.status).toBe('failed');
      // one attempt per request slot at most, never 32 × 8
      expect(provider.attempts).toBeGreaterThanOrEqual(1);
      expect(provider.attempts).toBeLessThanOrEqual(4);
      expect(out.reason).toContain(`127.0.0.1:${port}`);
      expect(out.reason).toMatch(/ECONNREFUSED/);
      expect((await store.getRun(out.runId))?.status).toBe('failed');
      expect((await store.getRun(out.runId))?.statusReason).toMatch(/ECONNREFUSED/);
      // nothing was answered: no result is stored as if the items had been asked
      expect(store.rows(out.runId)).toHaveLength(0);
    },
  );

  it('an unknown host name stops the run the same way (ENOTFOUND)', async () => {
    const provider = counted(openaiAt('http://no-such-host.invalid/v1'));
    const out = await runBenchmark(testPlan(16, { concurrency: 2, retry }), {
      store: new MemoryStore(),
      provider,
    });
    expect(out.status).toBe('failed');
    expect(provider.attempts).toBeLessThanOrEqual(2);
    expect(out.reason).toContain('no-such-host.invalid');
    expect(out.reason).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('after answers were received, a refused connection is retried per item (a restarting server), not fatal', async () => {
    const port = await closedPort();
    const good = openaiAt(fake.openaiBaseURL);
    const dead = openaiAt(`http://127.0.0.1:${port}/v1`);
    let calls = 0;
    const provider: Provider = {
      id: 'mixed',
      complete: (req, o) => (calls++ === 0 ? good : dead).complete(req, o),
    };
    const store = new MemoryStore();
    const out = await runBenchmark(testPlan(3, { concurrency: 1, retry: { ...retry, maxAttempts: 2 } }), {
      store,
      provider,
    });
    expect(calls).toBe(1 + 2 * 2);
    expect(out.summary.errors).toBe(2);
    expect(out.status).toBe('completed');
    const errors = store.rows(out.runId).filter((r) => r.outcome === 'error');
    expect(errors).toHaveLength(2);
    // the stored error says what the system said, not only "Connection error."
    expect(errors[0]!.error).toMatch(/ECONNREFUSED/);
  });
});

describe('a run in which every item errored', () => {
  it('ends failed with a reason, not completed', async () => {
    fake.reset();
    fake.set({ fault: () => ({ type: 'status', status: 503 }) });
    try {
      const store = new MemoryStore();
      const out = await runBenchmark(testPlan(6, { concurrency: 2, retry: { ...retry, maxAttempts: 2 } }), {
        store,
        provider: openaiAt(fake.openaiBaseURL),
      });
      expect(fake.requests).toHaveLength(12);
      expect(out.summary.errors).toBe(6);
      expect(out.status).toBe('failed');
      expect(out.reason).toMatch(/all 6 item\(s\) failed/);
      expect(out.reason).toMatch(/503/);
      expect((await store.getRun(out.runId))?.status).toBe('failed');
    } finally {
      fake.set({ fault: undefined });
    }
  });
});

describe('base URLs fetch itself refuses', () => {
  it('a port fetch blocks ("bad port", e.g. 9) stops the run at once, saying so', async () => {
    const provider = counted(openaiAt('http://127.0.0.1:9/v1'));
    const out = await runBenchmark(testPlan(8, { concurrency: 2, retry }), {
      store: new MemoryStore(),
      provider,
    });
    expect(out.status).toBe('failed');
    expect(provider.attempts).toBeLessThanOrEqual(2);
    expect(out.reason).toMatch(/127\.0\.0\.1:9.*bad port/);
  });

  it('a redirect is refused, never followed, and stops the run', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(307, { location: `${fake.openaiBaseURL}/chat/completions` }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { createProvider } = await import('../providers/registry.ts');
    try {
      fake.reset();
      const provider = counted(
        await createProvider(
          { name: 'r', provider: 'openai-compatible', model: 'm', base_url: `http://127.0.0.1:${port}/v1` },
          {},
        ),
      );
      const out = await runBenchmark(testPlan(8, { concurrency: 2, retry }), {
        store: new MemoryStore(),
        provider,
      });
      expect(out.status).toBe('failed');
      expect(out.reason).toMatch(/redirect/);
      expect(provider.attempts).toBeLessThanOrEqual(2);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
