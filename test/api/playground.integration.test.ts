/**
 * The playground over a real server (AUTH=on, cookies and keys, both engines): four registered models,
 * OpenAI, Anthropic and Gemini fakes on several ports with scripted chunk timing, stream at once to one
 * WebSocket; a failing model does not stop the others; stop and a closed socket abort the upstream
 * requests (the fakes see them closed); figures are the fakes' usage × the registered prices; bad
 * messages get error events; the history keeps each user's last 50, for their eyes only.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountStore, User } from '../../accounts/types.ts';
import type { AppContext } from '../../api/context.ts';
import { auditLogOf } from '../../api/data-audit.ts';
import { HISTORY_PER_USER } from '../../api/playground/history.ts';
import { MAX_MESSAGE_BYTES, MAX_TOKENS_CAP, type ServerEvent } from '../../api/playground/protocol.ts';
import { registryOf } from '../../models/registry.ts';
import type { RegisteredModel } from '../../models/types.ts';
import { type FakeProvider, startFakeProvider, tokensOf } from '../fake-provider/server.ts';
import { SETUP, type SignedInApp, signedInApp } from '../helpers/signed-in-app.ts';
import { openPlayground, type PlaygroundSocket } from './playground-ws.ts';

const CHUNKS = 8;
const GAP_MS = 30;

/** Four models over four fake servers: two speak Anthropic's protocol, one OpenAI's, one Gemini's. */
const SPECS = [
  { name: 'gpt-a', provider: 'openai', model: 'gpt-fake-a', key: 'sk-test-aaaa-1111', price: [2, 8] },
  {
    name: 'claude-b',
    provider: 'anthropic',
    model: 'claude-fake-b',
    key: 'sk-ant-bbbb-2222',
    price: [3, 15],
  },
  {
    name: 'gemini-c',
    provider: 'google',
    model: 'gemini-fake-c',
    key: 'gm-test-cccc-3333',
    price: [0.15, 0.6],
  },
  { name: 'claude-d', provider: 'anthropic', model: 'claude-fake-d', key: 'sk-ant-dddd-4444', price: [1, 5] },
] as const;
const KEYS = SPECS.map((s) => s.key);
const answerOf = (model: string) => `This is ${model} answering the question at some length.`;
type Spec = (typeof SPECS)[number];
/**
 * The pause before each streamed event. OpenAI's first event is a role chunk and Anthropic's first three carry
 * no text, so a pause after the first event delays their first token; Gemini's first event carries text, so its
 * fake pauses before that one too (a real server takes a while to produce a first token).
 */
const gapOf = (s: Spec, gap: number) => (s.provider === 'google' ? () => gap : gap);
const baseUrlOf = (s: Spec, f: FakeProvider) =>
  s.provider === 'openai'
    ? f.openaiBaseURL
    : s.provider === 'anthropic'
      ? f.anthropicBaseURL
      : f.geminiBaseURL;

describe.each(['duckdb', 'mysql'] as const)('the playground on %s', (engine) => {
  let t: SignedInApp;
  let ctx: AppContext;
  let accounts: AccountStore;
  let app: FastifyInstance;
  let base = '';
  const fakes: FakeProvider[] = [];
  let models: RegisteredModel[] = [];
  const users: Record<string, User> = {};
  const cookies: Record<string, string> = {};
  let aliceKey = '';

  const wsUrl = () => `${base.replace(/^http/, 'ws')}/ws/playground`;
  const origin = () => base;
  const asUser = (who: string) => openPlayground(wsUrl(), { cookie: cookies[who]!, origin: origin() });
  const get = async (who: string, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { cookie: cookies[who]! } });
    // biome-ignore lint/suspicious/noExplicitAny: an answer read field by field, each checked by an expectation
    return { status: res.statusCode, body: res.json() as any, raw: res.body };
  };
  const run = (o: { models?: number[]; user?: string; variables?: Record<string, string> } = {}) => ({
    type: 'run',
    system: 'You answer {{style}}.',
    user: o.user ?? 'What is {{thing}}?',
    variables: o.variables ?? { style: 'briefly', thing: 'a monad' },
    models: (o.models ?? [0, 1, 2, 3]).map((i) => ({
      id: models[i]!.id,
      params: { temperature: 0.2, max_tokens: 64, top_p: 0.9, seed: 7 },
    })),
  });

  beforeAll(async () => {
    // MySQL keeps no generated key file: the secret is given
    t = await signedInApp(
      engine,
      'playground',
      engine === 'mysql' ? { MODEL_KEYS_SECRETS: `v1:${Buffer.alloc(32, 7).toString('base64')}` } : {},
    );
    ({ ctx, accounts, app } = t);
    // the SDKs load on a provider's first use (~0.3-0.5 s each): loaded here, so the first run's models start together
    await Promise.all([import('openai'), import('@anthropic-ai/sdk'), import('@google/genai')]);
    for (const s of SPECS) {
      fakes.push(
        await startFakeProvider({
          apiKey: s.key,
          chunks: CHUNKS,
          chunkDelayMs: gapOf(s, GAP_MS),
          // Gemini names the model in the path, not the body
          answer: () => answerOf(s.model),
        }),
      );
    }
    // registered in the workspace's registry, as POST /models does (keys encrypted, prices dated)
    const def = t.def;
    const registry = registryOf(ctx, def.id);
    models = [];
    for (const [i, s] of SPECS.entries()) {
      models.push(
        await registry.create(
          {
            name: s.name,
            provider: s.provider,
            model: s.model,
            base_url: baseUrlOf(s, fakes[i]!),
            api_key: s.key,
            price_in_per_mtok: s.price[0],
            price_out_per_mtok: s.price[1],
          },
          SETUP,
        ),
      );
    }
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const [name, role] of [
      ['alice', 'editor'],
      ['bob', 'editor'],
      ['vic', 'viewer'],
    ] as const) {
      users[name] = await t.addUser(name, role);
      cookies[name] = (await t.signIn(name)).cookie;
    }
    aliceKey = (
      await accounts.createKey(
        { userId: users.alice!.id, workspaceId: def.id, role: 'editor', name: 'k', expiresAt: null },
        SETUP,
      )
    ).token;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await Promise.all(fakes.map((f) => f.close()));
  });
  const resetFakes = (o: Parameters<FakeProvider['set']>[0] = {}) => {
    for (const [i, f] of fakes.entries()) {
      f.reset();
      f.set({ fault: undefined, chunkDelayMs: gapOf(SPECS[i]!, GAP_MS), latencyMs: 0, ...o });
    }
  };
  const noKeyIn = (sock: PlaygroundSocket) => {
    for (const r of sock.received) for (const k of KEYS) expect(r.raw).not.toContain(k);
  };

  it('streams four models at once, interleaved, each event tagged with its model, figures = usage × prices', async () => {
    resetFakes();
    const sock = await asUser('alice');
    sock.send(run());
    const events = await sock.untilEnd(0, 15_000);
    const tokens = events.flatMap((e, i) => (e.type === 'token' ? [{ i, model: e.model }] : []));
    // every model streamed several chunks, and all four were streaming at the same time: each one's first
    // token came before any one's last
    const first = [0, 1, 2, 3].map((m) => tokens.find((t) => t.model === m)!.i);
    const last = [0, 1, 2, 3].map((m) => tokens.findLast((t) => t.model === m)!.i);
    expect(Math.max(...first)).toBeLessThan(Math.min(...last));
    // and the order switches between models many times (not one answer after another)
    const switches = tokens.filter((t, k) => k > 0 && tokens[k - 1]!.model !== t.model).length;
    expect(switches).toBeGreaterThanOrEqual(8);

    const prompt = 'What is a monad?';
    for (const [m, s] of SPECS.entries()) {
      const mine = events.filter((e) => e.model === m);
      expect(mine[0]).toEqual({ type: 'start', model: m, id: models[m]!.id, name: s.name });
      const text = mine.flatMap((e) => (e.type === 'token' ? [e.delta] : [])).join('');
      expect(text).toBe(answerOf(s.model));
      expect(mine.filter((e) => e.type === 'token').length).toBeGreaterThanOrEqual(CHUNKS);
      const done = mine.at(-1)!;
      expect(done.type).toBe('done');
      if (done.type !== 'done') continue;
      const tin = tokensOf(prompt);
      const tout = tokensOf(answerOf(s.model));
      expect(done.tokens_in).toBe(tin);
      expect(done.tokens_out).toBe(tout);
      expect(done.cost).toBeCloseTo((tin * s.price[0] + tout * s.price[1]) / 1_000_000, 12);
      expect(done.ttft_ms).toBeGreaterThanOrEqual(GAP_MS - 5);
      expect(done.total_ms).toBeGreaterThanOrEqual(done.ttft_ms!);
      // the fake saw the rendered prompt and the parameters
      const req = fakes[m]!.requests[0]!;
      expect(req.prompt).toBe(prompt);
      expect(req.protocol).toBe(s.provider === 'google' ? 'gemini' : s.provider);
      if (s.provider === 'google') {
        expect(req.path).toBe(`/v1beta/models/${s.model}:streamGenerateContent`);
        expect(req.headers['x-goog-api-key']).toBe(s.key);
        expect(req.body).toEqual({
          contents: [{ role: 'user', parts: [{ text: prompt }] }],
          systemInstruction: { parts: [{ text: 'You answer briefly.' }], role: 'user' },
          generationConfig: { temperature: 0.2, topP: 0.9, seed: 7, maxOutputTokens: 64 },
        });
        continue;
      }
      expect(req.body.temperature).toBe(0.2);
      expect(req.body.top_p).toBe(0.9);
      if (s.provider === 'openai') {
        expect(req.body.seed).toBe(7);
        expect(req.body.max_completion_tokens).toBe(64);
        expect(req.body.messages).toEqual([
          { role: 'system', content: 'You answer briefly.' },
          { role: 'user', content: prompt },
        ]);
      } else {
        expect(req.body.max_tokens).toBe(64);
        expect(req.body.system).toEqual(expect.stringContaining('You answer briefly.'));
      }
    }
    const end = events.at(-1)!;
    expect(end).toMatchObject({ type: 'end', model: null, stopped: false });
    expect(end.type === 'end' && end.run_id).toBeGreaterThan(0);
    noKeyIn(sock);
    await sock.close();
  });

  it("each model's figures come when its own answer ends, not when the slowest one's does", async () => {
    // model 0 streams its chunks 400 ms apart (about 3 s in all), the others 10 ms apart: whatever the
    // machine's load, a fast model's done must come before the slow one's last token, not with the end
    resetFakes();
    fakes[0]!.set({ chunkDelayMs: gapOf(SPECS[0]!, 400) });
    for (const m of [1, 2, 3]) fakes[m]!.set({ chunkDelayMs: gapOf(SPECS[m]!, 10) });
    const sock = await asUser('alice');
    sock.send(run());
    const events = await sock.untilEnd(0, 20_000);
    const slowLast = events.findLastIndex((e) => e.type === 'token' && e.model === 0);
    for (const m of [1, 2, 3]) {
      const done = events.findIndex((e) => e.type === 'done' && e.model === m);
      const lastToken = events.findLastIndex((e) => e.type === 'token' && e.model === m);
      expect(done, SPECS[m]!.name).toBeGreaterThan(lastToken);
      expect(done, SPECS[m]!.name).toBeLessThan(slowLast);
    }
    expect(events.find((e) => e.type === 'done' && e.model === 0)).toBeDefined();
    await sock.close();
  });

  it('a failing model shows its error, the others go on', async () => {
    resetFakes();
    fakes[1]!.set({ fault: () => ({ type: 'status', status: 500, message: 'upstream exploded' }) });
    fakes[2]!.set({ apiKey: 'another-key' }); // 401 (Gemini's protocol): the registered key is wrong
    const sock = await openPlayground(wsUrl(), { authorization: `Bearer ${aliceKey}` });
    sock.send(run());
    const events = await sock.untilEnd(0, 15_000);
    const doneOf = (m: number) =>
      events.find((e) => e.model === m && (e.type === 'done' || e.type === 'error'));
    expect(doneOf(0)?.type).toBe('done');
    expect(doneOf(3)?.type).toBe('done');
    const e1 = doneOf(1);
    expect(e1?.type).toBe('error');
    expect(e1?.type === 'error' && e1.message).toMatch(/500|exploded/);
    const e2 = doneOf(2);
    expect(e2?.type).toBe('error');
    expect(e2?.type === 'error' && e2.message).toMatch(/401|key/i);
    noKeyIn(sock);
    // the others' answers are whole
    for (const m of [0, 3]) {
      const text = events.flatMap((e) => (e.type === 'token' && e.model === m ? [e.delta] : [])).join('');
      expect(text).toBe(answerOf(SPECS[m]!.model));
    }
    fakes[2]!.set({ apiKey: SPECS[2].key });
    await sock.close();
  });

  it('stop aborts every upstream request, and so does closing the socket', async () => {
    // a stall after the first content chunk: OpenAI's comes after a role chunk, Anthropic's after three events,
    // Gemini's is its first event
    const contentAt = { openai: 2, anthropic: 4, google: 1 } as const;
    const stall = () => {
      resetFakes();
      for (const [i, s] of SPECS.entries())
        fakes[i]!.set({ fault: () => ({ type: 'stall', afterChunks: contentAt[s.provider] }) });
    };
    stall();
    const sock = await asUser('alice');
    sock.send(run());
    // every model has started streaming (the stall sends a first content chunk)
    for (const m of [0, 1, 2, 3]) await sock.waitFor((e) => e.type === 'token' && e.model === m);
    sock.send({ type: 'stop' });
    const events = await sock.untilEnd(0, 10_000);
    expect(events.at(-1)).toMatchObject({ type: 'end', stopped: true });
    for (const m of [0, 1, 2, 3]) {
      expect(events.find((e) => e.model === m && e.type === 'error')).toMatchObject({ message: 'stopped' });
    }
    await expect
      .poll(() => fakes.map((f) => f.requests[0]?.aborted), { timeout: 5000 })
      .toEqual([true, true, true, true]);

    stall();
    const from = sock.received.length;
    // one model of each protocol: OpenAI, Gemini, Anthropic (events are tagged with their index in the run)
    const picked = [0, 2, 3];
    sock.send(run({ models: picked }));
    for (const m of [0, 1, 2]) await sock.waitFor((e) => e.type === 'token' && e.model === m, from);
    expect(picked.map((i) => fakes[i]!.requests[0]?.aborted)).toEqual([false, false, false]);
    await sock.close();
    await expect
      .poll(() => picked.map((i) => fakes[i]!.requests[0]?.aborted), { timeout: 5000 })
      .toEqual([true, true, true]);
    expect(fakes[1]!.requests).toHaveLength(0);
  });

  it('bad messages get an error event, never a crash, and the socket still works', async () => {
    resetFakes({ chunkDelayMs: 0 });
    const sock = await asUser('alice');
    const errorAfter = async (message: unknown) => {
      const from = sock.received.length;
      sock.send(message);
      return (await sock.waitFor((e) => e.type === 'error', from)).event as Extract<
        ServerEvent,
        { type: 'error' }
      >;
    };
    expect((await errorAfter('not json')).message).toMatch(/not JSON/);
    expect((await errorAfter({ type: 'dance' })).message).toMatch(/invalid message/);
    expect((await errorAfter({ ...run(), models: [] })).message).toMatch(/models/);
    const five = run();
    five.models = [...five.models, five.models[0]!];
    expect((await errorAfter(five)).message).toMatch(/models/);
    const big = run({ models: [0] });
    big.models[0]!.params.max_tokens = MAX_TOKENS_CAP + 1;
    expect((await errorAfter(big)).message).toMatch(/max_tokens/);
    expect((await errorAfter({ ...run(), user: 'x'.repeat(MAX_MESSAGE_BYTES + 10) })).message).toMatch(
      /bytes/,
    );
    // template problems are refused before any call, naming the variable
    expect((await errorAfter(run({ variables: { style: 'briefly' } }))).message).toMatch(/\{\{thing\}\}/);
    expect((await errorAfter(run({ variables: { style: 'a', thing: 'b', extra: 'c' } }))).message).toMatch(
      /"extra"/,
    );
    expect((await errorAfter({ ...run(), models: [{ id: 999, params: {} }] })).message).toMatch(/999/);
    expect(fakes.every((f) => f.requests.length === 0)).toBe(true);
    // still alive
    const from = sock.received.length;
    sock.send(run({ models: [0] }));
    const events = await sock.untilEnd(from);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    await sock.close();
  });

  it('the upgrade is authenticated like any request, and its Origin checked', async () => {
    await expect(openPlayground(wsUrl(), {})).rejects.toMatchObject({ status: 401 });
    await expect(asUser('vic')).rejects.toMatchObject({ status: 403 });
    await expect(
      openPlayground(wsUrl(), { cookie: cookies.alice!, origin: 'https://evil.example' }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      openPlayground(`${wsUrl()}?workspace=nope`, { cookie: cookies.alice!, origin: origin() }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("the history keeps each user's last 50 runs, readable by their owner only", async () => {
    resetFakes({ chunkDelayMs: 0 });
    const alice = await asUser('alice');
    alice.send(run({ models: [0] }));
    await alice.untilEnd();
    await alice.close();
    const sock = await asUser('bob');
    const ids: number[] = [];
    for (let i = 0; i < HISTORY_PER_USER + 3; i++) {
      const from = sock.received.length;
      sock.send(run({ models: [i % 4], variables: { style: 'briefly', thing: `thing ${i}` } }));
      const end = (await sock.untilEnd(from)).at(-1)!;
      if (end.type === 'end') ids.push(end.run_id!);
    }
    await sock.close();
    const mine = await get('bob', '/playground/runs');
    expect(mine.status).toBe(200);
    expect(mine.body.runs.map((r: { id: number }) => r.id)).toEqual(ids.slice(-HISTORY_PER_USER).reverse());
    const newest = mine.body.runs[0];
    expect(newest.input).toMatchObject({
      system: 'You answer {{style}}.',
      user: 'What is {{thing}}?',
      variables: { style: 'briefly', thing: `thing ${HISTORY_PER_USER + 2}` },
      models: [
        { name: SPECS[(HISTORY_PER_USER + 2) % 4]!.name, params: { temperature: 0.2, max_tokens: 64 } },
      ],
    });
    expect(newest.output[0].text).toBe(answerOf(SPECS[(HISTORY_PER_USER + 2) % 4]!.model));
    expect((await get('bob', `/playground/runs/${ids.at(-1)}`)).body.id).toBe(ids.at(-1));
    // pruned, and other users' runs: 404
    expect((await get('bob', `/playground/runs/${ids[0]}`)).status).toBe(404);
    expect((await get('alice', `/playground/runs/${ids.at(-1)}`)).status).toBe(404);
    const alices = await get('alice', '/playground/runs');
    expect(alices.body.runs.length).toBeGreaterThan(0);
    expect(alices.body.runs.some((r: { id: number }) => ids.includes(r.id))).toBe(false);
    for (const k of KEYS) expect(mine.raw + alices.raw).not.toContain(k);
    // each stored run is audited in the workspace's chain, with bob as its actor, without the prompt
    const log = auditLogOf(ctx);
    const entries = await log.list({ action: 'playground.run', userId: users.bob!.id, limit: 1000 });
    expect(entries.map((e) => e.resource).sort()).toEqual(ids.map((id) => `playground_run:${id}`).sort());
    expect(JSON.stringify(entries)).not.toContain('thing 1');
    expect((await log.verify()).ok).toBe(true);
  });
});
