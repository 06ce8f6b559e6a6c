import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor, testPlan } from '../../test/fake-provider/plan.ts';
import {
  type FakeProvider,
  type Fault,
  startFakeProvider,
  tokensOf,
} from '../../test/fake-provider/server.ts';
import { createAnthropicProvider } from '../providers/anthropic.ts';
import { createOpenAIProvider } from '../providers/openai.ts';
import { RunConfigMismatchError, runBenchmark } from './run-benchmark.ts';

let fake: FakeProvider;
const prices = { input: 2, output: 8 };
const openai = () =>
  createOpenAIProvider({
    client: new OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
    model: 'gpt-fake',
    prices,
    flavor: 'openai',
  });
const anthropic = () =>
  createAnthropicProvider({
    client: new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.anthropicBaseURL, maxRetries: 0 }),
    model: 'claude-fake',
    prices,
  });

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.set({ latencyMs: 5, answer: (c) => answerFor(c.prompt), fault: undefined, apiKey: undefined });
});

/** Gaps between consecutive requests carrying the same prompt. */
function gaps(prompt: string): number[] {
  const at = fake.requests.filter((r) => r.prompt === prompt).map((r) => r.at);
  return at.slice(1).map((t, i) => t - at[i]!);
}

describe('runBenchmark through the real SDKs', () => {
  it('streams, records usage, ttft, cost, and sends exactly the expected OpenAI request', async () => {
    const store = new MemoryStore();
    const out = await runBenchmark(testPlan(40), { store, provider: openai() });
    expect(out.status).toBe('completed');
    const rows = store.rows(out.runId);
    expect(rows).toHaveLength(40);
    expect(fake.requests).toHaveLength(40);
    expect(out.summary.accuracy).toBe(0.5);
    expect(out.summary.stderr).toBeCloseTo(Math.sqrt(0.25 / 40), 10);
    const r0 = fake.requests.find((r) => r.prompt === 'Question 0')!;
    expect(r0.path).toBe('/v1/chat/completions');
    expect(r0.headers.authorization).toBe('Bearer sk-test');
    expect(r0.body).toEqual({
      model: 'gpt-fake',
      messages: [
        { role: 'system', content: 'Answer with a letter.' },
        { role: 'user', content: 'Question 0' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_completion_tokens: 16,
    });
    const q0 = rows.find((r) => r.item_id === 'q0')!;
    expect(q0).toMatchObject({
      outcome: 'correct',
      correct: true,
      answer: 'A',
      response: 'Answer: A',
      sample: 0,
    });
    expect(q0.tokens_in).toBe(tokensOf('Question 0'));
    expect(q0.tokens_out).toBe(tokensOf('Answer: A'));
    expect(q0.cost_usd).toBeCloseTo((q0.tokens_in! * 2 + q0.tokens_out! * 8) / 1e6, 12);
    expect(q0.ttft_ms).not.toBeNull();
    expect(q0.latency_ms!).toBeGreaterThanOrEqual(q0.ttft_ms!);
    expect(rows.find((r) => r.item_id === 'q1')).toMatchObject({
      outcome: 'incorrect',
      correct: false,
      answer: 'C',
    });
    expect(out.summary.tokensIn).toBe(rows.reduce((s, r) => s + r.tokens_in!, 0));
    expect(store.runs[0]).toMatchObject({ status: 'completed', statusReason: null, source: 'runner' });
  });

  it('speaks the Anthropic Messages protocol (system apart, usage from message_start/message_delta)', async () => {
    const store = new MemoryStore();
    const out = await runBenchmark(testPlan(8), { store, provider: anthropic() });
    expect(out.status).toBe('completed');
    const r0 = fake.requests.find((r) => r.prompt === 'Question 0')!;
    expect(r0.path).toBe('/v1/messages');
    expect(r0.headers['x-api-key'] ?? r0.headers.authorization).toMatch(/^(Bearer )?sk-ant-test$/);
    expect(r0.headers['anthropic-version']).toBeTruthy();
    expect(r0.body).toEqual({
      model: 'claude-fake',
      max_tokens: 16,
      system: 'Answer with a letter.',
      messages: [{ role: 'user', content: 'Question 0' }],
      stream: true,
      temperature: 0,
    });
    const q2 = store.rows(out.runId).find((r) => r.item_id === 'q2')!;
    expect(q2).toMatchObject({
      outcome: 'correct',
      response: 'Answer: C',
      tokens_out: tokensOf('Answer: C'),
    });
    expect(q2.tokens_in).toBe(tokensOf('Question 2'));
    expect(out.summary.accuracy).toBe(0.5);
  });

  it('honors retry-after-ms and retry-after on 429: the next attempt never comes early', async () => {
    fake.set({
      fault: (c): Fault | undefined => {
        if (c.prompt === 'Question 0' && c.attempt === 0)
          return { type: 'status', status: 429, headers: { 'retry-after-ms': '400' } };
        if (c.prompt === 'Question 1' && c.attempt === 0)
          return { type: 'status', status: 429, headers: { 'retry-after': '1' } };
        return undefined;
      },
    });
    const store = new MemoryStore();
    const out = await runBenchmark(testPlan(4, { retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 } }), {
      store,
      provider: openai(),
    });
    expect(out.status).toBe('completed');
    expect(store.rows(out.runId).every((r) => r.outcome !== 'error')).toBe(true);
    expect(gaps('Question 0')[0]).toBeGreaterThanOrEqual(400);
    expect(gaps('Question 1')[0]).toBeGreaterThanOrEqual(1000);
  });

  it('rides out bursts of 500/503/529 with 0 lost items (OpenAI and Anthropic)', async () => {
    const statuses = [500, 503, 529];
    fake.set({
      fault: (c) => {
        const i = Number(/\d+/.exec(c.prompt)?.[0]);
        // Every third item fails its first two attempts; plus a global burst on requests 20-34.
        if (i % 3 === 0 && c.attempt < 2)
          return { type: 'status', status: statuses[i % 3 === 0 ? c.attempt : 2]! };
        if (c.n >= 20 && c.n < 35) return { type: 'status', status: statuses[c.n % 3]! };
        return undefined;
      },
    });
    for (const provider of [openai(), anthropic()]) {
      fake.reset();
      const store = new MemoryStore();
      const out = await runBenchmark(
        testPlan(60, { concurrency: 8, retry: { maxAttempts: 8, baseMs: 5, maxMs: 40 } }),
        {
          store,
          provider,
        },
      );
      const rows = store.rows(out.runId);
      expect(out.status).toBe('completed');
      expect(rows).toHaveLength(60);
      expect(rows.filter((r) => r.outcome === 'error')).toHaveLength(0);
      expect(out.summary.accuracy).toBe(0.5);
      expect(fake.requests.filter((r) => r.fault === 'status').length).toBeGreaterThanOrEqual(35);
    }
  });

  it('aborts a stalled stream at the stall timeout and a slow one at the deadline; nothing partial is stored', async () => {
    fake.set({
      chunks: 4,
      fault: (c) => {
        if (c.prompt === 'Question 0' && c.attempt === 0) return { type: 'stall', afterChunks: 2 };
        if (c.prompt === 'Question 2' && c.attempt === 0) return { type: 'stall', afterChunks: 0 };
        return undefined;
      },
    });
    const retry = { maxAttempts: 3, baseMs: 1, maxMs: 5 };
    let store = new MemoryStore();
    let out = await runBenchmark(testPlan(4, { stallMs: 300, deadlineMs: 5000, retry }), {
      store,
      provider: openai(),
    });
    expect(out.status).toBe('completed');
    expect(
      store
        .rows(out.runId)
        .map((r) => r.response)
        .sort(),
    ).toEqual(['Answer: A', 'Answer: A', 'Answer: C', 'Answer: C']);
    // Measured at the server: the client's stall watchdog starts when the request leaves, a little before the
    // server sees it, so on a loaded machine a gap can come out a few ms under the 300 ms timeout (CI saw 292).
    const g0 = gaps('Question 0')[0]!;
    expect(g0).toBeGreaterThanOrEqual(250);
    expect(g0).toBeLessThan(1000);
    // Nothing at all (not even headers) is a stall too: the retry comes long before the 5 s deadline.
    const g2 = gaps('Question 2')[0]!;
    expect(g2).toBeGreaterThanOrEqual(250);
    expect(g2).toBeLessThan(1000);
    // The server saw the first attempts go away before they completed.
    expect(
      fake.requests
        .filter((r) => r.aborted)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(['Question 0', 'Question 2']);

    // A response that trickles in (never idle for the stall timeout) is cut at the deadline.
    fake.reset();
    fake.set({
      fault: undefined,
      latencyMs: (c) => (c.prompt === 'Question 1' && c.attempt === 0 ? 1500 : 5),
    });
    store = new MemoryStore();
    out = await runBenchmark(testPlan(4, { stallMs: 5000, deadlineMs: 600, retry }), {
      store,
      provider: anthropic(),
    });
    expect(out.status).toBe('completed');
    expect(store.rows(out.runId).find((r) => r.item_id === 'q1')).toMatchObject({
      outcome: 'incorrect',
      response: 'Answer: C',
    });
    // Measured at the server, which saw the first attempt a few ms after the client's deadline timer started.
    const g1 = gaps('Question 1')[0]!;
    expect(g1).toBeGreaterThanOrEqual(550);
    expect(g1).toBeLessThan(1400);
    expect(fake.requests.filter((r) => r.aborted)).toHaveLength(1);
  });

  it('drops cut streams and asks again; when every attempt is cut, the item is an error, not a wrong answer', async () => {
    fake.set({
      chunks: 5,
      answer: (c) => `${answerFor(c.prompt)} because of a long explanation`,
      fault: (c) => {
        if (c.prompt === 'Question 0' && c.attempt === 0) return { type: 'cut', afterChunks: 3 };
        if (c.prompt === 'Question 1') return { type: 'cut', afterChunks: 3 };
        return undefined;
      },
    });
    for (const provider of [openai(), anthropic()]) {
      fake.reset();
      const store = new MemoryStore();
      const out = await runBenchmark(testPlan(4, { retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 } }), {
        store,
        provider,
      });
      const rows = store.rows(out.runId);
      expect(rows).toHaveLength(4);
      expect(rows.find((r) => r.item_id === 'q0')).toMatchObject({
        outcome: 'correct',
        response: 'Answer: A because of a long explanation',
      });
      const q1 = rows.find((r) => r.item_id === 'q1')!;
      expect(q1).toMatchObject({ outcome: 'error', correct: null });
      expect(q1.response ?? null).toBeNull();
      expect(q1.error).toMatch(/after 3 attempts/);
      expect(fake.requests.filter((r) => r.prompt === 'Question 1')).toHaveLength(3);
      expect(out.summary.errors).toBe(1);
      expect(out.summary.incorrect).toBe(1); // q3 only: the error is not counted wrong
      expect(out.status).toBe('completed');
      expect(out.reason).toMatch(/1 item\(s\) failed/);
    }
  });

  it('stops the run as failed on 401, with the reason, without asking the remaining items', async () => {
    fake.set({ apiKey: 'the-right-key' });
    const store = new MemoryStore();
    const out = await runBenchmark(testPlan(200, { concurrency: 4 }), { store, provider: openai() });
    expect(out.status).toBe('failed');
    expect(out.reason).toMatch(/401/);
    expect(out.reason).toMatch(/API key/);
    expect(store.runs[0]).toMatchObject({ status: 'failed' });
    expect(store.rows(out.runId)).toHaveLength(0);
    expect(fake.requests.length).toBeLessThanOrEqual(4);
  });

  it('pauses the run on a spend limit (insufficient_quota) and a resume finishes it', async () => {
    let quota = true;
    fake.set({ fault: (c) => (quota && c.n >= 10 ? { type: 'insufficient_quota' } : undefined) });
    const store = new MemoryStore();
    const plan = testPlan(60, { concurrency: 2 });
    const first = await runBenchmark(plan, { store, provider: openai() });
    expect(first.status).toBe('paused');
    expect(first.reason).toMatch(/quota/);
    const stored = store.rows(first.runId).length;
    expect(stored).toBeGreaterThanOrEqual(8);
    expect(stored).toBeLessThanOrEqual(10);
    quota = false;
    fake.reset();
    const second = await runBenchmark(plan, { store, provider: openai() });
    expect(second.status).toBe('completed');
    expect(store.rows(first.runId)).toHaveLength(60);
    // Only what was missing was answered (a request aborted by the first run's stop may still land after reset()).
    expect(fake.answered()).toBe(60 - stored);
    expect(second.summary.correct + second.summary.incorrect).toBe(60);
  });

  it('resumes: skips stored items, asks errored ones again, refuses a changed configuration', async () => {
    fake.set({ fault: (c) => (c.prompt === 'Question 3' ? { type: 'status', status: 503 } : undefined) });
    const store = new MemoryStore();
    const plan = testPlan(10, { retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 } });
    const first = await runBenchmark(plan, { store, provider: openai() });
    expect(first.summary.errors).toBe(1);
    fake.reset();
    fake.set({ fault: undefined });
    const second = await runBenchmark(plan, { store, provider: openai() });
    expect(fake.requests.map((r) => r.prompt)).toEqual(['Question 3']);
    expect(second).toMatchObject({ status: 'completed', reason: null });
    expect(store.rows(first.runId).filter((r) => r.outcome === 'error')).toHaveLength(0);
    expect(second.summary.correct + second.summary.incorrect).toBe(10);

    const changed = testPlan(10, { label: plan.label });
    changed.config = { ...plan.config, params: { ...plan.config.params, temperature: 0.7 } };
    const refused = runBenchmark(changed, { store, provider: openai() });
    await expect(refused).rejects.toBeInstanceOf(RunConfigMismatchError);
    await expect(refused).rejects.toThrow(/params: .*"temperature":0\b.*→.*"temperature":0.7/);
    const newPrompt = { ...plan, config: { ...plan.config, prompt_version: 'p2' } };
    await expect(runBenchmark(newPrompt, { store, provider: openai() })).rejects.toThrow(
      /prompt_version: "p1" → "p2"/,
    );
  });

  it('asks each item N times with --samples, varying the seed per sample', async () => {
    const store = new MemoryStore();
    const plan = testPlan(5);
    plan.config = { ...plan.config, samples: 3, params: { ...plan.config.params, seed: 100 } };
    const out = await runBenchmark(plan, { store, provider: openai() });
    const keys = store.rows(out.runId).map((r) => `${r.item_id}#${r.sample}`);
    expect(keys.sort()).toEqual(
      ['q0', 'q1', 'q2', 'q3', 'q4'].flatMap((q) => [0, 1, 2].map((s) => `${q}#${s}`)),
    );
    const seeds = fake.requests.filter((r) => r.prompt === 'Question 0').map((r) => r.body.seed);
    expect(seeds.sort()).toEqual([100, 101, 102]);
    expect(out.summary.total).toBe(15);
  });

  it('on Ctrl-C stops taking items, lets in-flight ones finish, flushes, and pauses', async () => {
    fake.set({ latencyMs: 100 });
    const store = new MemoryStore();
    const ac = new AbortController();
    const plan = testPlan(100, { concurrency: 4, graceMs: 2000 });
    setTimeout(() => ac.abort(), 250);
    const out = await runBenchmark(plan, { store, provider: openai(), signal: ac.signal });
    expect(out.status).toBe('paused');
    expect(out.reason).toMatch(/interrupted/);
    // Everything the server started answering was allowed to finish and was stored.
    expect(store.rows(out.runId)).toHaveLength(fake.requests.length);
    expect(fake.requests.length).toBeLessThan(100);
    expect(fake.requests.filter((r) => r.aborted)).toHaveLength(0);
  });

  it('on Ctrl-C with a short grace, aborts in-flight requests and stores nothing partial', async () => {
    fake.set({ latencyMs: (c) => (c.n < 4 ? 5 : 3000) });
    const store = new MemoryStore();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t0 = performance.now();
    const out = await runBenchmark(testPlan(50, { concurrency: 4, graceMs: 100 }), {
      store,
      provider: openai(),
      signal: ac.signal,
    });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(out.status).toBe('paused');
    expect(store.rows(out.runId)).toHaveLength(4);
    expect(store.rows(out.runId).every((r) => r.outcome !== 'error')).toBe(true);
  });

  it('keeps writing in batches and retries a failed write without duplicates', async () => {
    const store = new MemoryStore();
    store.failIngest = 1;
    const out = await runBenchmark(testPlan(50, { concurrency: 10 }), { store, provider: openai() });
    expect(out.status).toBe('completed');
    expect(store.rows(out.runId)).toHaveLength(50);
    expect(out.writes.rows).toBe(50);
    expect(out.writes.batches).toBeLessThan(50);
  });

  it('reports progress', async () => {
    fake.set({ latencyMs: 30 });
    const store = new MemoryStore();
    const seen: number[] = [];
    await runBenchmark(testPlan(40, { concurrency: 4 }), {
      store,
      provider: openai(),
      progressIntervalMs: 50,
      onProgress: (p) => seen.push(p.done),
    });
    expect(seen.length).toBeGreaterThan(3);
    expect(seen[seen.length - 1]).toBe(40);
  });
});

describe('rate limits', () => {
  it('keeps to --rpm across workers', async () => {
    const store = new MemoryStore();
    const t0 = performance.now();
    // 1200/min = 20/s with a burst of 20: 40 requests need about one second.
    const out = await runBenchmark(testPlan(40, { concurrency: 16, rpm: 1200 }), {
      store,
      provider: openai(),
    });
    expect(out.status).toBe('completed');
    // The limiter starts after t0; 20 more requests at 20/s after the burst cannot all be out before 1 s.
    expect(fake.requests[39]!.at - t0).toBeGreaterThanOrEqual(950);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('slows down before the budget its headers announce runs out: 0 429s, at least the reset time (OpenAI, Anthropic)', async () => {
    const windowMs = 400;
    for (const provider of [openai(), anthropic()]) {
      fake.reset();
      fake.set({ rateLimit: { requests: 6, windowMs } });
      // The budget is real: the 7th request of a window is refused.
      const direct = [];
      for (let i = 0; i < 7; i++) {
        direct.push(
          await provider.complete(
            { messages: [{ role: 'user', content: `Question ${i}` }], params: { max_tokens: 4 } },
            { signal: new AbortController().signal },
          ),
        );
      }
      expect(direct.map((r) => r.ok)).toEqual([true, true, true, true, true, true, false]);
      await new Promise((r) => setTimeout(r, windowMs + 20));
      fake.reset();
      const store = new MemoryStore();
      const out = await runBenchmark(testPlan(20, { concurrency: 4 }), { store, provider });
      expect(out.status).toBe('completed');
      expect(store.rows(out.runId).filter((r) => r.outcome === 'error')).toHaveLength(0);
      expect(fake.requests.filter((r) => r.rateLimited)).toHaveLength(0);
      expect(fake.requests).toHaveLength(20);
      // 20 requests at 6 per window need 4 windows: the last one started 3 resets after the first request.
      const at = fake.requests.map((r) => r.at);
      expect(Math.max(...at) - Math.min(...at)).toBeGreaterThanOrEqual(3 * windowMs - 10);
    }
    fake.set({ rateLimit: undefined });
  });

  it('waits for the token reset when the tokens left would not cover the requests in flight', async () => {
    const windowMs = 1500;
    // Each answer costs tokensOf(prompt) + tokensOf(answer) = 6 tokens: 20 of them need 120 > 90 per window.
    // The runner reserves concurrency × its estimate (2 × (9 + max_tokens 1) tokens): it waits once for the reset.
    fake.set({ rateLimit: { tokens: 90, windowMs } });
    const store = new MemoryStore();
    const plan = testPlan(20, { concurrency: 2 });
    plan.config = { ...plan.config, params: { temperature: 0, max_tokens: 1 } };
    const out = await runBenchmark(plan, { store, provider: openai() });
    fake.set({ rateLimit: undefined });
    expect(out.status).toBe('completed');
    expect(fake.requests.filter((r) => r.rateLimited)).toHaveLength(0);
    const at = fake.requests.map((r) => r.at);
    expect(Math.max(...at) - Math.min(...at)).toBeGreaterThanOrEqual(windowMs - 10);
  });
});
