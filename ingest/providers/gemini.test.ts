import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor, testPlan } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider, tokensOf } from '../../test/fake-provider/server.ts';
import { runBenchmark } from '../runner/run-benchmark.ts';
import { createGeminiProvider } from './gemini.ts';
import { createProvider, resolveModel } from './registry.ts';
import type { ProviderFailure, ProviderRequest } from './types.ts';

let fake: FakeProvider;
const prices = { input: 1.25, output: 10 };
const gemini = (key = 'gm-test') =>
  createGeminiProvider({
    client: new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: fake.geminiBaseURL } }),
    model: 'gemini-fake',
    prices,
    baseURL: fake.geminiBaseURL,
  });
const req: ProviderRequest = {
  messages: [
    { role: 'system', content: 'Answer with a letter.' },
    { role: 'user', content: 'Question 0' },
    { role: 'assistant', content: 'Answer: A' },
    { role: 'user', content: 'Question 2' },
  ],
  params: { temperature: 0, max_tokens: 16, top_p: 0.9, seed: 7 },
};
const signal = () => new AbortController().signal;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.set({
    latencyMs: 5,
    answer: (c) => answerFor(c.prompt),
    fault: undefined,
    apiKey: 'gm-test',
    chunks: 3,
    chunkDelayMs: undefined,
  });
});

describe('Gemini through @google/genai', () => {
  it('sends exactly the expected streamGenerateContent request and reads text, usage and cost', async () => {
    const deltas: string[] = [];
    const r = await gemini().complete(req, { signal: signal(), onText: (d) => deltas.push(d) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1beta/models/gemini-fake:streamGenerateContent');
    expect(sent.headers['x-goog-api-key']).toBe('gm-test');
    expect(sent.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Question 0' }] },
        { role: 'model', parts: [{ text: 'Answer: A' }] },
        { role: 'user', parts: [{ text: 'Question 2' }] },
      ],
      systemInstruction: { parts: [{ text: 'Answer with a letter.' }], role: 'user' },
      generationConfig: { temperature: 0, topP: 0.9, seed: 7, maxOutputTokens: 16 },
    });
    expect(r.output).toBe('Answer: C');
    expect(deltas.join('')).toBe('Answer: C');
    expect(deltas.length).toBe(3);
    expect(r.tokensIn).toBe(tokensOf('Question 2'));
    expect(r.tokensOut).toBe(tokensOf('Answer: C'));
    expect(r.costUsd).toBeCloseTo((tokensOf('Question 2') * 1.25 + tokensOf('Answer: C') * 10) / 1e6, 15);
    expect(r.finishReason).toBe('STOP');
  });

  it('streams each chunk as it comes (scripted timing): onText sees the first long before the last', async () => {
    fake.set({ chunks: 4, chunkDelayMs: 150, answer: () => 'abcdefgh' });
    const at: number[] = [];
    const t0 = performance.now();
    const r = await gemini().complete(req, {
      signal: signal(),
      onText: () => at.push(performance.now() - t0),
    });
    expect(r.ok).toBe(true);
    expect(at).toHaveLength(4);
    // 3 pauses of 150 ms between the four chunks
    expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(400);
    if (r.ok) expect(r.ttftMs!).toBeLessThan(at[3]!);
  });

  it('aborts on the signal: the fake server sees the request closed, the failure is not retryable', async () => {
    fake.set({ chunks: 5, chunkDelayMs: 300, answer: () => 'a long answer here' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = (await gemini().complete(req, { signal: ac.signal })) as ProviderFailure;
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('aborted');
    await new Promise((res) => setTimeout(res, 400));
    expect(fake.requests[0]!.aborted).toBe(true);
  });

  it('classifies 429 with RetryInfo (and retry-after winning over it), 503, 401 and a per-day quota', async () => {
    const fail = async (fault: Parameters<FakeProvider['set']>[0]['fault'], key?: string) => {
      fake.set({ fault });
      const r = await gemini(key).complete(req, { signal: signal() });
      expect(r.ok).toBe(false);
      return (r as ProviderFailure).error;
    };
    expect(await fail(() => ({ type: 'status', status: 429, retryDelay: '1.5s' }))).toMatchObject({
      kind: 'retryable',
      code: 'http_429',
      status: 429,
      retryAfterMs: 1500,
    });
    expect(
      await fail(() => ({ type: 'status', status: 429, retryDelay: '9s', headers: { 'retry-after': '2' } })),
    ).toMatchObject({ kind: 'retryable', retryAfterMs: 2000 });
    expect(await fail(() => ({ type: 'status', status: 503 }))).toMatchObject({
      kind: 'retryable',
      code: 'http_503',
    });
    const auth = await fail(undefined, 'wrong-key');
    expect(auth).toMatchObject({ kind: 'fatal', stop: 'failed', code: 'http_401' });
    expect(auth.message).not.toContain('wrong-key');
    expect(await fail(() => ({ type: 'insufficient_quota' }))).toMatchObject({
      kind: 'fatal',
      stop: 'paused',
      code: 'insufficient_quota',
    });
  });

  it('drops a cut stream (retryable) and lists the models', async () => {
    fake.set({
      chunks: 5,
      answer: () => 'a long answer that gets cut',
      fault: () => ({ type: 'cut', afterChunks: 2 }),
    });
    const r = (await gemini().complete(req, { signal: signal() })) as ProviderFailure;
    expect(r.ok).toBe(false);
    expect(r.error.kind).toBe('retryable');
    fake.set({ fault: undefined, models: ['gemini-a', 'gemini-b'] });
    expect(await gemini().listModels!(signal())).toEqual(['gemini-a', 'gemini-b']);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1beta/models' });
  });

  it('runs a benchmark through createProvider (google, GEMINI_API_KEY), stalls retried, 0 lost items', async () => {
    fake.set({
      fault: (c) =>
        c.prompt === 'Question 1' && c.attempt === 0 ? { type: 'stall', afterChunks: 1 } : undefined,
    });
    const model = resolveModel('google:gemini-fake', [], { baseUrl: fake.geminiBaseURL });
    const provider = await createProvider(model, { GEMINI_API_KEY: 'gm-test' });
    expect(provider.id).toBe('google:gemini-fake');
    const store = new MemoryStore();
    const out = await runBenchmark(
      testPlan(8, { stallMs: 300, retry: { maxAttempts: 3, baseMs: 1, maxMs: 5 } }),
      { store, provider },
    );
    expect(out.status).toBe('completed');
    expect(out.summary.accuracy).toBe(0.5);
    expect(store.rows(out.runId).filter((r) => r.outcome === 'error')).toHaveLength(0);
    expect(fake.requests.filter((r) => r.prompt === 'Question 1')).toHaveLength(2);
    expect(fake.requests.find((r) => r.prompt === 'Question 1')!.aborted).toBe(true);
  });
});
