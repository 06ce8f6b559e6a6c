import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeEmbeddings, startFakeEmbeddings, vectorOf } from '../../test/fake-provider/embeddings.ts';
import { MemoryStore } from '../../test/fake-provider/memory-store.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { loadBenchmark } from '../benchmarks/load.ts';
import type { ModelDef } from '../providers/models.ts';
import { createOpenAIProvider } from '../providers/openai.ts';
import { planFromBenchmark } from '../runner/from-benchmark.ts';
import { runBenchmark } from '../runner/run-benchmark.ts';
import { embeddingsForScorer } from './embeddings.ts';

/**
 * A benchmark run (the runner, a fake OpenAI-compatible model, a fake /v1/embeddings) whose benchmark.yaml
 * composes semantic similarity, stemmed ROUGE-L and contains into a weighted mean; the stored scores
 * are checked against figures worked out by hand here.
 */

const tmp = tmpDir('evalhouse-composed-');
let llm: FakeProvider;
let emb: FakeEmbeddings;
beforeAll(async () => {
  llm = await startFakeProvider();
  emb = await startFakeEmbeddings();
});
afterAll(async () => {
  await llm.close();
  await emb.close();
  tmp.cleanup();
});

// question → [reference, the fake model's answer]
const ITEMS: Record<string, [string, string]> = {
  q0: ['the cat sat on the mat', 'the cat sat on the mat'],
  q1: ['Paris is the capital of France', 'The capital of France is Paris'],
  q2: ['running quickly', 'he runs quick'],
  q3: ['blue whales are mammals', 'I do not know'],
};

function cos(a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}
const clip = (x: number) => Math.min(1, Math.max(0, x));

describe('a run with a composed scorer', () => {
  it('stores the weighted mean of semantic, ROUGE-L (stemmed) and contains for every item', async () => {
    const dir = join(tmp.dir, 'composed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'benchmark.yaml'),
      `slug: composed
version: "1"
task: free_text
description: weighted semantic + ROUGE-L + contains
attribution: { source: test, license: CC0 }
template: { user: "{{question}}" }
scorer:
  type: weighted
  threshold: 0.6
  of:
    - { scorer: { type: semantic, model: embedder }, weight: 2 }
    - { scorer: { type: rouge, variant: rougeL, stemmer: true }, weight: 1 }
    - { scorer: { type: contains }, weight: 1 }
`,
    );
    writeFileSync(
      join(dir, 'items.jsonl'),
      `${Object.entries(ITEMS)
        .map(([id, [reference]]) => JSON.stringify({ id, question: `Say ${id}`, reference }))
        .join('\n')}\n`,
    );
    const def = await loadBenchmark(dir);
    const model: ModelDef = {
      name: 'm',
      provider: 'openai-compatible',
      model: 'fake',
      base_url: llm.openaiBaseURL,
    };
    const models: ModelDef[] = [
      model,
      { name: 'embedder', provider: 'openai-compatible', model: 'minilm', base_url: emb.baseURL },
    ];
    expect(() => planFromBenchmark(def, model, { label: 'x' })).toThrow(/embeddings model/);
    llm.set({ answer: (c) => ITEMS[c.prompt.replace('Say ', '')]![1] });
    const plan = planFromBenchmark(def, model, {
      label: 'composed',
      embed: embeddingsForScorer(def.scorer, models, {}),
    });
    const provider = createOpenAIProvider({
      client: new OpenAI({ apiKey: 'k', baseURL: llm.openaiBaseURL, maxRetries: 0 }),
      model: 'fake',
      flavor: 'openai-compatible',
    });
    const store = new MemoryStore();
    const out = await runBenchmark(plan, { store, provider });
    const rows = new Map(store.rows(out.runId).map((r) => [r.item_id, r]));

    const semantic = (id: string) => clip(cos(vectorOf(ITEMS[id]![1]), vectorOf(ITEMS[id]![0])));
    // ROUGE-L by hand (rouge-score tokens, Porter stems; the target is the reference):
    //  q0 identical → 1; q1 LCS "the capital of france" = 4 of 6 and 6 → F 2/3;
    //  q2 [run, quickli] vs [he, run, quick]: LCS 1, P 1/3, R 1/2 → F 0.4; q3 no common token → 0.
    // contains (case-folded): only q0's answer holds its reference.
    const want: Record<string, number> = {
      q0: (2 * 1 + 1 + 1) / 4,
      q1: (2 * semantic('q1') + 2 / 3 + 0) / 4,
      q2: (2 * semantic('q2') + 0.4 + 0) / 4,
      q3: (2 * semantic('q3') + 0 + 0) / 4,
    };
    expect(semantic('q1')).toBeCloseTo(1, 12); // the same words: the same bag
    for (const [id, w] of Object.entries(want)) {
      const r = rows.get(id)!;
      expect(r.score, id).toBeCloseTo(w, 12);
      expect(r.outcome, id).toBe(w >= 0.6 ? 'correct' : 'incorrect');
      expect(r.response).toBe(ITEMS[id]![1]);
    }
    expect(out.summary.correct).toBe(Object.values(want).filter((w) => w >= 0.6).length);
    expect(out.summary.correct).toBeGreaterThan(0);
    expect(out.summary.incorrect).toBeGreaterThan(0);
    // One embeddings request per item, each with the answer and the reference, in that order.
    expect(emb.requests.map((r) => r.body.input).sort()).toEqual(
      Object.values(ITEMS)
        .map(([ref, ans]) => [ans, ref])
        .sort(),
    );
  });
});
