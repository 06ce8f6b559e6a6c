import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import type { RunView } from '../../ingest/runner/run-view.ts';
import { writeBenchmarkFolder } from '../../test/fake-provider/bench-folder.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { installErrorHandler } from '../errors.ts';
import { runsRoutes } from './runs.ts';

const ITEMS = 40;
let fake: FakeProvider;
let app: FastifyInstance;
let base: string;
const store = new MemoryStore();
const tmp = tmpDir('evalhouse-run-events-');

beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 30, answer: (c) => answerFor(c.prompt) });
  writeBenchmarkFolder(join(tmp.dir, 'fake-mc'), ITEMS);
  app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(runsRoutes, {
    ctx: {
      record: store,
      config: { ...loadConfig({}), env: {} },
      files: { benchmarks: tmp.dir, models: join(tmp.dir, 'models.yaml') },
      // a short heartbeat, so a test sees one between slow items
      events: { minIntervalMs: 250, heartbeatMs: 100 },
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await fake.close();
  tmp.cleanup();
});

async function start(label: string, concurrency = 1): Promise<number> {
  const res = await fetch(`${base}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      benchmark: 'fake-mc',
      model: 'openai-compatible:fake',
      base_url: fake.openaiBaseURL,
      run_id: label,
      concurrency,
    }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

interface Sse {
  events: { event: string; data: RunView }[];
  comments: string[];
}

/** An independent reader of the text/event-stream framing: blank-line separated blocks of field lines. */
function parse(text: string): Sse {
  const out: Sse = { events: [], comments: [] };
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) out.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data) out.events.push({ event, data: JSON.parse(data) as RunView });
  }
  return out;
}

/** Reads the stream to its end; `onEvent` may act on the text so far (cancel the run, leave). */
async function follow(id: number, onText?: (text: string) => Promise<boolean | undefined>) {
  const controller = new AbortController();
  const res = await fetch(`${base}/runs/${id}/events`, { signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let left = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (onText && (await onText(text))) {
      controller.abort();
      left = true;
      break;
    }
  }
  return { ...parse(text), left };
}

/** GET /runs/:id without its configuration: the view the events carry */
const runJson = async (id: number) => {
  const { config: _, ...view } = (await (await fetch(`${base}/runs/${id}`)).json()) as RunView & {
    config: unknown;
  };
  return view;
};

describe('GET /runs/:id/events', () => {
  it('streams the progress of a running run as it grows, then its stored view as `end`, and ends', async () => {
    const id = await start('sse-live');
    const s = await follow(id);
    const progress = s.events.filter((e) => e.event === 'progress');
    const ends = s.events.filter((e) => e.event === 'end');
    expect(ends).toHaveLength(1);
    expect(s.events.at(-1)!.event).toBe('end');
    expect(progress[0]!.data).toMatchObject({ id, status: 'running', active: true });
    const done = progress.map((e) => e.data.progress?.done ?? 0);
    // it grew while we watched, never went back, and each event says something new
    expect(new Set(done).size).toBeGreaterThan(1);
    for (let i = 1; i < done.length; i++) expect(done[i]!).toBeGreaterThanOrEqual(done[i - 1]!);
    const json = progress.map((e) => JSON.stringify(e.data));
    expect(new Set(json).size).toBe(json.length);
    // throttled: fewer events than items stored
    expect(progress.length).toBeLessThan(ITEMS);
    // the end event is what GET /runs/:id answers once the run stopped
    const final = await runJson(id);
    expect(final).toMatchObject({ status: 'completed', active: false });
    expect(final.progress).toMatchObject({ done: ITEMS, correct: ITEMS / 2, accuracy: 0.5 });
    expect(ends[0]!.data).toEqual(final);
  });

  it('sends heartbeat comments while items are slow, and a cancel ends it with the paused run', async () => {
    fake.set({ latencyMs: 400 });
    try {
      const id = await start('sse-cancel');
      let cancelled: Promise<Response> | null = null;
      const s = await follow(id, async (text) => {
        // once a heartbeat came, cancel the run; the stream must then end by itself
        if (!cancelled && text.includes(': heartbeat'))
          cancelled = fetch(`${base}/runs/${id}/cancel`, { method: 'POST' });
        return false;
      });
      expect(s.comments).toContain('heartbeat');
      const answer = (await (await cancelled!).json()) as RunView;
      expect(answer.status).toBe('paused');
      const end = s.events.at(-1)!;
      expect(end.event).toBe('end');
      expect(end.data).toEqual(await runJson(id));
      expect(end.data.status).toBe('paused');
      expect(end.data.progress!.done!).toBeLessThan(ITEMS);
    } finally {
      fake.set({ latencyMs: 30 });
    }
  });

  it('a client that leaves stops its stream, not the run', async () => {
    const id = await start('sse-leave');
    const s = await follow(id, async (text) => text.includes('event: progress'));
    expect(s.left).toBe(true);
    for (let i = 0; i < 400 && (await runJson(id)).active; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await runJson(id)).toMatchObject({ status: 'completed', progress: { done: ITEMS } });
  });

  it('a run not running here gets one `end` event at once; an unknown run is a 404 in the error shape', async () => {
    const list = (await (await fetch(`${base}/runs?limit=1000`)).json()) as { runs: RunView[] };
    const first = list.runs[0];
    const res = await app.inject({ method: 'GET', url: `/runs/${first!.id}/events` });
    expect(res.statusCode).toBe(200);
    const s = parse(res.body);
    expect(s.events.map((e) => e.event)).toEqual(['end']);
    expect(s.events[0]!.data).toEqual(await runJson(first!.id));
    const missing = await app.inject({ method: 'GET', url: '/runs/999999/events' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringMatching(/999999/),
    });
    const bad = await app.inject({ method: 'GET', url: '/runs/abc/events' });
    expect(bad.statusCode).toBe(400);
  });
});
