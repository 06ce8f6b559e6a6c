/**
 * A run of a bundled benchmark over the bundled results adds no field: the definition's metadata fields
 * are the results' (benchmarks/mmlu-redux vs demo/mmlu-redux.jsonl.gz), so after a run
 * /benchmarks/mmlu-redux/metadata lists the same fields, none of them with NULLs.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DIR } from '../../api/demo.ts';
import { loadBenchmark } from '../../ingest/benchmarks/load.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createOpenAIProvider } from '../../ingest/providers/openai.ts';
import { planFromBenchmark } from '../../ingest/runner/from-benchmark.ts';
import { runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { type ApiFixture, openApiFixture } from '../api/fixture.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';

let fx: ApiFixture;
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ answer: () => 'Answer: A' });
  fx = await openApiFixture({ mysql: false, records: [] });
  const s = await importFile(fx.ctx.record, join(DEMO_DIR, 'mmlu-redux.jsonl.gz'), { format: 'canonical' });
  expect(s.committed).toBe(true);
}, 120_000);
afterAll(async () => {
  await fx?.close();
  await fake?.close();
});

type Field = { name: string; distinct: number; nulls: number };
const metadata = async (): Promise<Field[]> =>
  (await fx.app.inject({ method: 'GET', url: '/benchmarks/mmlu-redux/metadata' })).json().fields;

describe('bundled mmlu-redux: a run over the bundled results', () => {
  it('keeps the field set and leaves no field half-empty', async () => {
    const before = await metadata();
    const def = await loadBenchmark('mmlu-redux');
    const plan = planFromBenchmark(
      def,
      { name: 'fake-model', provider: 'openai-compatible', model: 'fake', params: {} },
      { label: 'fake-run', limit: 40, sampleSeed: 1 },
    );
    const provider = createOpenAIProvider({
      client: new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
      model: 'fake',
      flavor: 'openai-compatible',
    });
    const run = await runBenchmark(plan, { store: fx.ctx.record, provider });
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ done: 40, errors: 0 });
    await fx.ctx.syncMirror();

    const after = await metadata();
    const items = def.items.length;
    expect(after.map((f) => f.name).sort()).toEqual(def.metadata.map((f) => f.name).sort());
    expect(after.map((f) => f.name)).toEqual(before.map((f) => f.name));
    for (const f of after) expect({ field: f.name, nulls: f.nulls }).toEqual({ field: f.name, nulls: 0 });
    const byName = new Map(after.map((f) => [f.name, f]));
    expect(byName.get('subject')!.distinct).toBe(new Set(def.items.map((i) => i.metadata.subject)).size);
    expect(byName.get('category')!.distinct).toBe(4);
    const counts = (await fx.app.inject({ method: 'GET', url: '/benchmarks' }))
      .json()
      .benchmarks.find((b: { benchmark: string }) => b.benchmark === 'mmlu-redux');
    expect(counts.items).toBe(items);
  }, 120_000);
});
