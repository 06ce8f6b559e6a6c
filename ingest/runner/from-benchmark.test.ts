import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBenchmarkFolder } from '../../test/fake-provider/bench-folder.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { answerFor } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { loadBenchmark, promptVersion } from '../benchmarks/load.ts';
import { createOpenAIProvider } from '../providers/openai.ts';
import { planFromBenchmark } from './from-benchmark.ts';
import { runBenchmark } from './run-benchmark.ts';

const tmp = tmpDir('evalhouse-plan-');
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});
const model = {
  name: 'm',
  provider: 'openai-compatible' as const,
  model: 'fake',
  params: { temperature: 0 },
};
const provider = () =>
  createOpenAIProvider({
    client: new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
    model: 'fake',
    flavor: 'openai-compatible',
  });

describe('planFromBenchmark', () => {
  it('renders prompts, fixes the configuration, selects a seeded subset, and scores with the benchmark scorer', async () => {
    const def = await loadBenchmark(writeBenchmarkFolder(join(tmp.dir, 'mc'), 50));
    const plan = planFromBenchmark(def, model, {
      label: 'x',
      limit: 10,
      sampleSeed: 3,
      samples: 2,
      params: { max_tokens: 64 },
    });
    expect(plan.config).toEqual({
      benchmark_version: '1',
      prompt_version: promptVersion(def),
      provider: 'openai-compatible',
      model_id: 'fake',
      params: { temperature: 0, max_tokens: 64 },
      limit: 10,
      sample_seed: 3,
      samples: 2,
    });
    expect(plan.items).toHaveLength(10);
    expect(
      planFromBenchmark(def, model, { label: 'y', limit: 10, sampleSeed: 3 }).items.map((i) => i.id),
    ).toEqual(plan.items.map((i) => i.id));
    const q0 = planFromBenchmark(def, model, { label: 'z' }).items[0]!;
    expect(q0.messages).toEqual([{ role: 'user', content: 'Question 0' }]);
    expect(q0.metadata).toEqual({ parity: 'even' });
    expect(await plan.score('Answer: A', q0)).toMatchObject({ outcome: 'correct', answer: 'A' });
    expect(await plan.score('Answer: B', q0)).toMatchObject({ outcome: 'incorrect', answer: 'B' });
  });

  it('runs a judge-scored benchmark with a judge model; a judge failure is an error, not a wrong answer', async () => {
    const dir = writeBenchmarkFolder(join(tmp.dir, 'judged'), 6, 'judged');
    const yaml = readFileSync(join(dir, 'benchmark.yaml'), 'utf8').replace(
      'scorer:\n  type: multiple_choice',
      'scorer:\n  type: judge',
    );
    writeFileSync(join(dir, 'benchmark.yaml'), yaml.replace('task: multiple_choice', 'task: free_text'));
    const def = await loadBenchmark(dir);
    expect(() => planFromBenchmark(def, model, { label: 'j' })).toThrow(/--judge-model/);
    fake.set({
      answer: (c) => {
        if (!c.prompt.includes('Answer to grade')) return answerFor(c.prompt);
        return c.prompt.includes('Question 0') ? 'looks right\nGRADE: CORRECT' : 'no grade here';
      },
      fault: (c) =>
        c.prompt.includes('Answer to grade') && c.prompt.includes('Question 1\n')
          ? { type: 'status', status: 400 }
          : undefined,
    });
    const plan = planFromBenchmark(def, model, {
      label: 'j',
      judge: { name: 'judge', provider: provider() },
    });
    expect(plan.config.judge_model).toBe('judge');
    const store = new MemoryStore();
    const out = await runBenchmark(
      { ...plan, retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 } },
      { store, provider: provider() },
    );
    const rows = new Map(store.rows(out.runId).map((r) => [r.item_id, r]));
    expect(rows.get('q0')).toMatchObject({ outcome: 'correct' });
    expect(rows.get('q1')).toMatchObject({ outcome: 'error', response: 'Answer: C' });
    expect(rows.get('q1')?.error).toMatch(/scoring failed/);
    expect(rows.get('q2')).toMatchObject({ outcome: 'error' }); // a reply without a grade
    expect(out.summary.incorrect).toBe(0);
  });
});
