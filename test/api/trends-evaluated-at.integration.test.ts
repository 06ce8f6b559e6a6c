/**
 * /trends dates a run by when it was evaluated, where the harness file says so (lm-eval's results `date`,
 * Inspect's `eval.created`, promptfoo's `timestamp`, a canonical `evaluated_at`, the runner's start), and
 * falls back to the import time (created_at) otherwise, saying which per point. Real harness files, imported
 * newest first so that import order and evaluation order disagree; both stores (the mirror copies the date).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createOpenAIProvider } from '../../ingest/providers/openai.ts';
import { runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { testPlan } from '../fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

const F = join(SHARED_DATA, 'formats');
// newest evaluation first: an import-time order would be the reverse of the evaluation order
const FILES = [
  'inspect/2025-05-12T20-28-13-04-00_popularity.json',
  'inspect/2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval',
  'inspect/data_arc_qwen.json',
  'inspect/data_arc_sonnet.json',
  'promptfoo/sample-export.json',
  'lm-eval/polymer_tg_gpt-4o-mini/samples_polymer_tg_prediction_2025-06-30T19-40-09.461247.jsonl',
];
/** The dates as the files hold them (read here from the files' own text, converted by hand). */
const WANT = {
  popularity: ['2025-02-11T20:18:04.000Z', '2025-05-13T00:28:13.000Z'], // eval.created -05:00, -04:00
  arc: {
    'anthropic/claude-sonnet-4-0': '2025-10-20T22:40:45.000Z',
    'ollama/qwen2.5:0.5b': '2025-10-20T23:12:03.000Z',
  },
  promptfoo: '2025-10-01T20:08:11.168Z', // results.timestamp
  lmEval: new Date(1751326796.8904934 * 1000).toISOString(), // results_*.json "date", epoch seconds
};

interface Point {
  model: string;
  label: string;
  created_at: string;
  evaluated_at: string | null;
  date: string;
  date_source: 'evaluated_at' | 'created_at';
}

let fake: FakeProvider;
const tmp = tmpDir();
beforeAll(async () => {
  fake = await startFakeProvider({ answer: () => 'Answer: A' });
});
afterAll(async () => {
  await fake?.close();
  tmp.cleanup();
});

describe.each([
  ['duckdb', false],
  ['mysql', true],
] as const)('/trends on the %s store', (_name, mysql) => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  let runnerWindow: [string, string];
  beforeAll(async () => {
    fx = await openApiFixture({ mysql, records: [] });
    for (const f of FILES) {
      const s = await importFile(fx.ctx.record, join(F, f));
      expect(s.committed, f).toBe(true);
    }
    // canonical files: one with evaluated_at (JSONL and CSV), one without
    const jsonl = join(tmp.dir, `c-${mysql}.jsonl`);
    writeFileSync(
      jsonl,
      [
        {
          benchmark: 'canon',
          model: 'fam-old',
          run: 'r',
          item_id: 'a',
          correct: true,
          evaluated_at: '2024-03-01T10:00:00+01:00',
        },
        { benchmark: 'canon', model: 'fam-none', run: 'r', item_id: 'a', correct: false },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const csv = join(tmp.dir, `c-${mysql}.csv`);
    writeFileSync(csv, 'benchmark,model,run,item_id,correct,evaluated_at\ncanon,fam-csv,r,a,1,2023-12-31\n');
    for (const f of [jsonl, csv]) expect((await importFile(fx.ctx.record, f)).committed).toBe(true);
    const before = new Date().toISOString();
    const provider = createOpenAIProvider({
      client: new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
      model: 'fake',
      flavor: 'openai-compatible',
    });
    const run = await runBenchmark(
      { ...testPlan(4), benchmark: 'canon', model: 'fam-runner' },
      {
        store: fx.ctx.record,
        provider,
      },
    );
    expect(run.status).toBe('completed');
    runnerWindow = [before, new Date().toISOString()];
    await fx.ctx.syncMirror();
    app = await buildApp(fx.ctx);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  });
  const trends = async (q: string) => {
    const res = await app.inject({ method: 'GET', url: `/trends?${q}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { points: Point[]; meta: Record<string, unknown> };
  };

  it('Inspect: two runs of one model, ordered by eval.created, not by import', async () => {
    const { points, meta } = await trends('benchmark=popularity');
    expect(points.map((p) => p.evaluated_at)).toEqual(WANT.popularity);
    expect(points.map((p) => p.date)).toEqual(WANT.popularity);
    expect(points.every((p) => p.date_source === 'evaluated_at')).toBe(true);
    // imported in the other order
    expect(points[0]!.created_at > points[1]!.created_at).toBe(true);
    expect(String(meta.ordered_by)).toMatch(/evaluated_at.*created_at/);
  });

  it('Inspect with two models; promptfoo; lm-eval epoch seconds', async () => {
    const arc = await trends(`benchmark=${encodeURIComponent('inspect_evals/arc_easy')}`);
    expect(arc.points.map((p) => [p.model, p.evaluated_at])).toEqual(Object.entries(WANT.arc));
    const pf = await trends(
      `benchmark=${encodeURIComponent('Comparing OpenAI flagship and mini models performance on riddles')}`,
    );
    expect(pf.points).toHaveLength(2);
    for (const p of pf.points)
      expect([p.evaluated_at, p.date_source]).toEqual([WANT.promptfoo, 'evaluated_at']);
    const lm = await trends('benchmark=polymer_tg_prediction');
    expect(lm.points.map((p) => [p.evaluated_at, p.date_source])).toEqual([[WANT.lmEval, 'evaluated_at']]);
  });

  it('canonical evaluated_at (JSONL, CSV), the runner start, and the created_at fallback', async () => {
    const { points } = await trends('benchmark=canon&model_prefix=fam-');
    const by = new Map(points.map((p) => [p.model, p]));
    expect(by.get('fam-old')).toMatchObject({
      evaluated_at: '2024-03-01T09:00:00.000Z',
      date_source: 'evaluated_at',
    });
    expect(by.get('fam-csv')).toMatchObject({
      evaluated_at: '2023-12-31T00:00:00.000Z',
      date_source: 'evaluated_at',
    });
    const none = by.get('fam-none')!;
    expect(none).toMatchObject({ evaluated_at: null, date_source: 'created_at' });
    expect(none.date).toBe(none.created_at);
    const runner = by.get('fam-runner')!;
    expect(runner.date_source).toBe('evaluated_at');
    expect(runner.evaluated_at! >= runnerWindow[0] && runner.evaluated_at! <= runnerWindow[1]).toBe(true);
    // ordered by date: the CSV's 2023 run, the JSONL's 2024 run, then today's runs
    expect(points.map((p) => p.model).slice(0, 2)).toEqual(['fam-csv', 'fam-old']);
    const dates = points.map((p) => p.date);
    expect([...dates].sort()).toEqual(dates);
  });
});
