/**
 * GET /benchmarks/{b}/items/{item}/results: a dashboard's item view (one item, every model, every sample),
 * on both stores. In MySQL mode the response text is only in MySQL (the mirror does not copy it), so the
 * answer must come from there. Real results: the bundled MATH chain-of-thought samples (8 per problem, with
 * responses) and two models' Inspect logs of ARC-Easy; plus one long response and one error record.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { DEMO_DIR } from '../../api/demo.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { detectFormat, importerFor } from '../../ingest/importers/detect.ts';
import { SHARED_DATA } from '../helpers/tmp.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

async function read(path: string): Promise<CanonicalRecord[]> {
  const out: CanonicalRecord[] = [];
  for await (const it of importerFor(await detectFormat(path)).read(path, {})) {
    if ('error' in it) throw new Error(JSON.stringify(it.error));
    out.push(it.record);
  }
  return out;
}

const LONG = 'x'.repeat(30_000);
// the longest name the one name rule (core/names.ts) allows, of 4-byte characters: 191 UTF-16 units
const LONG_NAME = `${'𝔵'.repeat(95)}x`;
async function records(): Promise<CanonicalRecord[]> {
  const math = await read(join(DEMO_DIR, 'math-cot.jsonl.gz'));
  const arc = [
    ...(await read(join(SHARED_DATA, 'formats/inspect/data_arc_sonnet.json'))),
    ...(await read(join(SHARED_DATA, 'formats/inspect/data_arc_qwen.json'))),
  ];
  const first = math[0]!;
  const extra: CanonicalRecord[] = [
    // the longest name there can be, mostly 4-byte characters: 1,141 bytes once percent-encoded
    { ...first, benchmark: LONG_NAME, item_id: LONG_NAME, model: 'long-talker', run: 'r', sample: 0 },
    { ...first, model: 'long-talker', run: 'r', sample: 0, response: LONG, latency_ms: 12.5, tokens_in: 7 },
    {
      ...first,
      model: 'broken',
      run: 'r',
      sample: 0,
      outcome: 'error',
      correct: null,
      answer: null,
      response: null,
      error: 'HTTP 503: upstream overloaded',
    },
  ];
  return [...math, ...arc, ...extra];
}

describe.each([
  ['duckdb', false],
  ['mysql', true],
] as const)('item results on the %s store', (_name, mysql) => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  beforeAll(async () => {
    fx = await openApiFixture({ mysql, records: await records() });
    app = await buildApp(fx.ctx);
  });
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  });
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };
  const url = (b: string, item: string, q = '') =>
    `/benchmarks/${encodeURIComponent(b)}/items/${encodeURIComponent(item)}/results${q}`;

  it('answers every model and sample of one item, as stored', async () => {
    const item = fx.records[0]!.item_id;
    const want = fx.records.filter((r) => r.benchmark === 'math' && r.item_id === item);
    expect(new Set(want.map((r) => r.model)).size).toBe(3);
    const { status, body } = await get(url('math', item));
    expect(status).toBe(200);
    expect(body.total).toBe(want.length);
    expect(body.next_offset).toBeNull();
    expect(body.item).toMatchObject({
      id: item,
      input: want[0]!.input,
      input_truncated: false,
      reference: want[0]!.reference,
      metadata: want[0]!.metadata,
    });
    // ordered by model name, then run, then sample
    const order = [...want].sort((a, b) =>
      a.model < b.model ? -1 : a.model > b.model ? 1 : a.sample - b.sample,
    );
    expect(body.results.map((r: { model: string; sample: number }) => `${r.model}#${r.sample}`)).toEqual(
      order.map((r) => `${r.model}#${r.sample}`),
    );
    for (const w of want) {
      const got = body.results.find(
        (r: { model: string; sample: number }) => r.model === w.model && r.sample === w.sample,
      );
      const response = w.response ?? null;
      expect(got).toMatchObject({
        run: { label: w.run },
        outcome: w.outcome,
        correct: w.correct,
        score: w.score,
        answer: w.answer ?? null,
        response: response && response.length > 20_000 ? response.slice(0, 20_000) : response,
        response_chars: response === null ? null : response.length,
        response_truncated: (response?.length ?? 0) > 20_000,
        error: w.error ?? null,
        latency_ms: w.latency_ms ?? null,
        ttft_ms: w.ttft_ms ?? null,
        tokens_in: w.tokens_in ?? null,
        tokens_out: w.tokens_out ?? null,
        cost_usd: w.cost_usd ?? null,
      });
      // the answer's fields (the result columns come from store/schema.ts): written out here as the contract
      expect(Object.keys(got).sort()).toEqual(
        ['model', 'run', 'sample', 'outcome', 'correct', 'score', 'answer', 'response', 'response_chars']
          .concat(['response_truncated', 'error', 'latency_ms', 'ttft_ms', 'tokens_in', 'tokens_out'])
          .concat(['cost_usd', 'created_at'])
          .sort(),
      );
      expect(typeof got.run.id).toBe('number');
      expect(got.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    }
    const broken = body.results.find((r: { model: string }) => r.model === 'broken');
    expect(broken).toMatchObject({ outcome: 'error', correct: null, error: 'HTTP 503: upstream overloaded' });
    const long = body.results.find((r: { model: string }) => r.model === 'long-talker');
    expect(long).toMatchObject({ response_chars: 30_000, response_truncated: true });
    expect(long.response).toHaveLength(20_000);
  });

  it(
    mysql ? 'reads responses from MySQL: the mirror holds none' : 'reads responses from the DuckDB file',
    async () => {
      const [row] = await fx.ctx.duck.db.all<{ n: number }>('SELECT count(response) AS n FROM results');
      const withText = fx.records.filter((r) => r.response != null).length;
      expect(Number(row!.n)).toBe(mysql ? 0 : withText);
      const { body } = await get(url('math', fx.records[0]!.item_id, '?models=qwen2.5-math&sample=3'));
      expect(body.results).toHaveLength(1);
      const want = fx.records.find(
        (r) => r.model === 'qwen2.5-math' && r.item_id === fx.records[0]!.item_id && r.sample === 3,
      )!;
      expect(body.results[0].response).toBe(want.response);
    },
  );

  it('pages through the results: the pages are the whole, in order', async () => {
    const item = fx.records[0]!.item_id;
    const whole = (await get(url('math', item))).body.results;
    const pages: unknown[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const { body } = await get(url('math', item, `?limit=3&offset=${offset}`));
      expect(body.results.length).toBeLessThanOrEqual(3);
      pages.push(...body.results);
      offset = body.next_offset;
    }
    expect(pages).toEqual(whole);
    const { body } = await get(url('math', item, '?max_chars=5&models=long-talker'));
    expect(body.results[0]).toMatchObject({ response: 'xxxxx', response_truncated: true });
    expect(body.item.input).toBe(fx.records[0]!.input!.slice(0, 5));
    expect(body.item.input_truncated).toBe(true);
  });

  it('takes benchmark and item names with slashes, URL-encoded, and models narrow the view', async () => {
    const arc = fx.records.filter((r) => r.benchmark === 'inspect_evals/arc_easy');
    const item = arc[0]!.item_id;
    const { status, body } = await get(url('inspect_evals/arc_easy', item));
    expect(status).toBe(200);
    expect(body.results.map((r: { model: string }) => r.model).sort()).toEqual(
      arc
        .filter((r) => r.item_id === item)
        .map((r) => r.model)
        .sort(),
    );
    const one = await get(
      url('inspect_evals/arc_easy', item, `?models=${encodeURIComponent('ollama/qwen2.5:0.5b')}`),
    );
    expect(one.body.results.map((r: { model: string }) => r.model)).toEqual(['ollama/qwen2.5:0.5b']);
  });

  it('takes names of the longest length allowed', async () => {
    const { status, body } = await get(url(LONG_NAME, LONG_NAME));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.item.id).toBe(LONG_NAME);
    expect(body.results).toHaveLength(1);
  });

  it('404s name what is unknown; bad parameters are 400s', async () => {
    const b = await get(url('nope', '1'));
    expect(b.status).toBe(404);
    expect(b.body.message).toMatch(/unknown benchmark "nope"; known: .*math/);
    const i = await get(url('math', 'no-such-item'));
    expect(i.status).toBe(404);
    expect(i.body.message).toMatch(/unknown item "no-such-item" in benchmark "math"/);
    const m = await get(url('math', fx.records[0]!.item_id, '?models=qwen2.5-math,gpt-9'));
    expect(m.status).toBe(404);
    expect(m.body.message).toMatch(/unknown model "gpt-9"; known: .*qwen2.5-math/);
    for (const q of ['?limit=0', '?limit=1001', '?offset=-1', '?sample=x', '?max_chars=0', '?secret=1']) {
      const res = await get(url('math', fx.records[0]!.item_id, q));
      expect(res.status, q).toBe(400);
      expect(res.body.error).toBeDefined();
    }
  });
});
