/**
 * A benchmark run with stored prompt versions (POST /runs `prompt`) against the local fake provider, on
 * both engines: the items are rendered with the stored template (the fake model sees it), the run records
 * the prompt's name, version and label, a variable the items lack is a 400 before the run starts, and
 * /analysis groups by and filters on `prompt_version` with figures equal to a count over the items file.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../api/context.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { openTestApp, type TestApp } from '../helpers/test-app.ts';

const LIMIT = 12;
/** The first LIMIT items of the bundled MMLU (--limit without a seed takes them in file order). */
const ITEMS = readFileSync(new URL('../../benchmarks/mmlu/items.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(0, LIMIT)
  .map(
    (l) =>
      JSON.parse(l) as {
        id: string;
        question: string;
        choices: string[];
        reference: string;
        category: string;
      },
  );

let fake: FakeProvider;
beforeAll(async () => {
  // the fake model answers A to version 1's wording and B to version 2's
  fake = await startFakeProvider({
    latencyMs: 1,
    answer: (c) => (c.prompt.startsWith('Pick one:') ? 'Answer: B' : 'Answer: A'),
  });
});
afterAll(async () => {
  await fake.close();
});

describe.each(['duckdb', 'mysql'] as const)('runs with stored prompts (%s)', (engine) => {
  let t: TestApp;
  let ctx: AppContext;
  let app: FastifyInstance;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

  beforeAll(async () => {
    t = await openTestApp(engine, 'promptruns');
    ({ ctx, app } = t);
  });
  afterAll(() => t?.close());

  async function runWith(prompt: string, label: string) {
    const res = await post('/runs', {
      benchmark: 'mmlu',
      model: 'openai-compatible:fake',
      base_url: fake.openaiBaseURL,
      run_id: label,
      limit: LIMIT,
      prompt,
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as number;
    for (let i = 0; i < 400 && (await ctx.record.getRun(id))?.status !== 'completed'; i++)
      await new Promise((r) => setTimeout(r, 25));
    return id;
  }

  it('runs versions of a stored prompt, records them, and analyses by prompt_version', async () => {
    const made = await post('/prompts', {
      name: 'mmlu-letter',
      template: { user: 'Q: {{question}}\n{{choices}}' },
    });
    expect(made.statusCode, made.body).toBe(201);
    const id = made.json().id;
    const v2 = await post(`/prompts/${id}/versions`, {
      template: {
        system: 'Be brief.',
        user: 'Pick one: {{question}}\n{{choices}}',
        params: { temperature: 0 },
      },
    });
    expect(v2.statusCode, v2.body).toBe(201);
    expect(
      (await app.inject({ method: 'PUT', url: `/prompts/${id}/labels/production`, payload: { version: 2 } }))
        .statusCode,
    ).toBe(200);

    // a slot the items lack: refused before anything runs, naming it
    const bad = await post('/prompts', { name: 'typo', template: { user: '{{questoin}}' } });
    expect(bad.statusCode).toBe(201);
    const before = fake.requests.length;
    const refused = await post('/runs', {
      benchmark: 'mmlu',
      model: 'openai-compatible:fake',
      base_url: fake.openaiBaseURL,
      limit: LIMIT,
      prompt: 'typo',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('{{questoin}} (12 of 12 items lack it)');
    expect(refused.json().message).toContain('question');
    expect(
      (
        await post('/runs', {
          benchmark: 'mmlu',
          model: 'openai-compatible:fake',
          base_url: fake.openaiBaseURL,
          prompt: 'nope',
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await post('/runs', {
          benchmark: 'mmlu',
          model: 'openai-compatible:fake',
          base_url: fake.openaiBaseURL,
          prompt: 'mmlu-letter@9',
        })
      ).statusCode,
    ).toBe(404);
    expect(fake.requests.length).toBe(before);

    const r1 = await runWith('mmlu-letter@1', `v1-${engine}`);
    const r2 = await runWith('mmlu-letter', `v2-${engine}`); // NAME alone: its production label
    const sent = fake.requests.slice(before).map((r) => r.prompt);
    const lettered = (choices: string[]) => choices.map((c, i) => `${'ABCDEFGHIJ'[i]}. ${c}`).join('\n');
    for (const it of ITEMS) expect(sent).toContain(`Q: ${it.question}\n${lettered(it.choices)}`);
    expect(sent.filter((p) => p.startsWith('Pick one:'))).toHaveLength(LIMIT);
    const second = fake.requests.find((r) => r.prompt.startsWith('Pick one:'))!;
    expect((second.body.messages as { role: string; content: string }[])[0]).toEqual({
      role: 'system',
      content: 'Be brief.',
    });

    const runs = (await app.inject({ method: 'GET', url: '/runs?benchmark=mmlu' })).json().runs as {
      id: number;
      prompt: unknown;
    }[];
    expect(runs.find((r) => r.id === r1)!.prompt).toEqual({ name: 'mmlu-letter', version: 1, label: null });
    expect(runs.find((r) => r.id === r2)!.prompt).toEqual({
      name: 'mmlu-letter',
      version: 2,
      label: 'production',
    });

    await ctx.syncMirror();
    // the independent figures: the share of the items whose reference is A (version 1) and B (version 2)
    const share = (letter: string, of = ITEMS) =>
      of.filter((it) => it.reference === letter).length / of.length;
    for (const eng of engine === 'mysql' ? (['duckdb', 'mysql'] as const) : (['duckdb'] as const)) {
      const res = await post('/analysis', {
        benchmark: 'mmlu',
        levels: ['prompt_version'],
        engine: eng,
        measures: ['n', 'accuracy'],
      });
      expect(res.statusCode, res.body).toBe(200);
      const rows = res.json().rows as {
        model: string;
        groups: Record<string, unknown>;
        n: number;
        accuracy: number;
      }[];
      expect(rows.map((r) => [r.groups.prompt_version, r.n, r.accuracy])).toEqual([
        [1, LIMIT, share('A')],
        [2, LIMIT, share('B')],
      ]);
      const nested = await post('/analysis', {
        benchmark: 'mmlu',
        levels: ['prompt_version', 'category'],
        prompt_versions: ['mmlu-letter@2'],
        engine: eng,
        measures: ['n', 'accuracy'],
      });
      expect(nested.statusCode, nested.body).toBe(200);
      const cats = [...new Set(ITEMS.map((it) => it.category))].sort();
      expect(
        (nested.json().rows as { groups: Record<string, unknown>; n: number; accuracy: number }[]).map(
          (r) => [r.groups.prompt_version, r.groups.category, r.n, r.accuracy],
        ),
      ).toEqual(
        cats.map((c) => {
          const of = ITEMS.filter((it) => it.category === c);
          return [2, c, of.length, share('B', of)];
        }),
      );
      const filtered = await post('/analysis', {
        benchmark: 'mmlu',
        levels: [],
        prompt_versions: [1],
        engine: eng,
        measures: ['n', 'accuracy'],
      });
      expect(filtered.json().rows.map((r: { n: number; accuracy: number }) => [r.n, r.accuracy])).toEqual([
        [LIMIT, share('A')],
      ]);
      const unknown = await post('/analysis', {
        benchmark: 'mmlu',
        levels: [],
        prompt_versions: [7],
        engine: eng,
      });
      expect(unknown.statusCode).toBe(404);
      const badLevel = await post('/analysis', {
        benchmark: 'mmlu',
        levels: ['prompt_verison'],
        engine: eng,
      });
      expect(badLevel.statusCode).toBe(400);
      expect(badLevel.json().message).toContain('prompt_version');
    }
  });
});
