import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallableModel, ModelRegistry } from '../../models/types.ts';
import { type FakeEmbeddings, startFakeEmbeddings, vectorOf } from '../../test/fake-provider/embeddings.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import type { ModelDef } from '../providers/models.ts';
import { ScorerConfigSchema } from './config.ts';
import {
  embeddingsFor,
  embeddingsForScorer,
  embeddingsFromRegistry,
  resolveEmbeddingModel,
} from './embeddings.ts';
import { createScorer } from './registry.ts';
import { cosine } from './semantic.ts';

/** The test's own cosine: normalise both, then the dot product (another route than semantic.ts's). */
function expectedCosine(a: number[], b: number[]): number {
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const ua = unit(a);
  const ub = unit(b);
  return ua.reduce((s, x, i) => s + x * ub[i]!, 0);
}

const item = (reference: string): BenchItem => ({ id: 'i', vars: {}, reference, metadata: {} });

let fake: FakeEmbeddings;
let models: ModelDef[];
beforeAll(async () => {
  fake = await startFakeEmbeddings({ apiKey: 'sk-embed-test' });
  models = [
    {
      name: 'embedder',
      provider: 'openai-compatible',
      model: 'bge-small-en',
      base_url: fake.baseURL,
      api_key_env: 'EVALHOUSE_TEST_EMBED_KEY',
    },
    { name: 'claude', provider: 'anthropic', model: 'claude-x' },
  ];
});
afterAll(() => fake.close());
const env = { EVALHOUSE_TEST_EMBED_KEY: 'sk-embed-test' };

describe('cosine', () => {
  it('matches the definition, is clamped to [-1, 1] and refuses vectors of different lengths', () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 2, 3], [-1, -2, -3])).toBe(-1);
    expect(cosine([3, 4], [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(/different lengths/);
  });
});

describe('semantic similarity through a local /v1/embeddings server (openai SDK)', () => {
  it('scores the raw cosine of response and reference embeddings; pass/fail by threshold', async () => {
    const s = createScorer({ type: 'semantic', model: 'embedder', threshold: 0.6 });
    const ctx = { embed: embeddingsFor(models, env) };
    const cases: [string, string][] = [
      ['The capital of France is Paris.', 'Paris is the capital of France'],
      ['It rains in Paris today', 'The capital of France is Paris'],
      ['quantum chromodynamics', 'a recipe for pancakes'],
      ['Zürich, naïve café 北京', 'zürich cafe 北京'],
    ];
    let passes = 0;
    for (const [response, reference] of cases) {
      const r = await s.score(response, item(reference), ctx);
      const want = expectedCosine(vectorOf(response), vectorOf(reference));
      expect(r.score).toBeCloseTo(want, 12);
      expect(r.correct).toBe(want >= 0.6);
      expect(r.outcome).toBe(want >= 0.6 ? 'correct' : 'incorrect');
      expect(r.answer).toBe(response);
      if (r.correct) passes++;
    }
    // The same words in another order are the same bag: cosine 1, and some cases must fail.
    expect((await s.score('france paris capital', item('Capital: Paris, France'), ctx)).score).toBeCloseTo(
      1,
      12,
    );
    expect(passes).toBeGreaterThan(0);
    expect(passes).toBeLessThan(cases.length);
    // What went over the wire: the model id, both texts in order, float vectors, the key from the env var.
    const last = fake.requests.at(-1)!;
    expect(last.body).toEqual({
      model: 'bge-small-en',
      input: ['france paris capital', 'Capital: Paris, France'],
      encoding_format: 'float',
    });
    expect(last.headers.authorization).toBe('Bearer sk-embed-test');
  });

  it('an ad hoc openai-compatible model with base_url in the scorer config', async () => {
    const s = createScorer({
      type: 'semantic',
      model: 'openai-compatible:e5-large',
      base_url: fake.baseURL,
      api_key_env: 'EVALHOUSE_TEST_EMBED_KEY',
    });
    const r = await s.score('red apples', item('green apples'), { embed: embeddingsFor([], env) });
    expect(r.score).toBeCloseTo(expectedCosine(vectorOf('red apples'), vectorOf('green apples')), 12);
    expect(fake.requests.at(-1)!.body.model).toBe('e5-large');
  });

  it('an empty response is unscored without asking the server', async () => {
    const s = createScorer({ type: 'semantic', model: 'embedder' });
    const before = fake.requests.length;
    expect((await s.score('  ', item('x'), { embed: embeddingsFor(models, env) })).outcome).toBe('unscored');
    expect(fake.requests.length).toBe(before);
  });

  it('failures reject (the runner records an error): no embedder, server error, bad key', async () => {
    const s = createScorer({ type: 'semantic', model: 'embedder' });
    await expect(s.score('a', item('b'))).rejects.toThrow(/needs an embeddings model/);
    fake.failWith = 503;
    try {
      await expect(s.score('a', item('b'), { embed: embeddingsFor(models, env) })).rejects.toThrow(
        /503|down/,
      );
    } finally {
      fake.failWith = null;
    }
    await expect(
      s.score('a', item('b'), { embed: embeddingsFor(models, { EVALHOUSE_TEST_EMBED_KEY: 'wrong' }) }),
    ).rejects.toThrow(/401|bad key/);
  });

  it('setup problems are found before a run, with the fix in the message', () => {
    expect(() => resolveEmbeddingModel({ model: 'nope' }, models, env)).toThrow(/unknown model "nope"/);
    expect(() => resolveEmbeddingModel({ model: 'embedder' }, models, {})).toThrow(
      /EVALHOUSE_TEST_EMBED_KEY/,
    );
    expect(() => resolveEmbeddingModel({ model: 'claude' }, models, env)).toThrow(/no \/v1\/embeddings/);
    expect(() => resolveEmbeddingModel({ model: 'openai-compatible:x' }, [], env)).toThrow(/base URL/);
    // The key itself never appears in a message.
    try {
      resolveEmbeddingModel({ model: 'nope' }, models, env);
    } catch (err) {
      expect(String(err)).not.toContain('sk-embed-test');
    }
    const composed = ScorerConfigSchema.parse({
      type: 'any',
      of: [{ type: 'contains' }, { type: 'semantic', model: 'nope' }],
    });
    expect(() => embeddingsForScorer(composed, models, env)).toThrow(/unknown model "nope"/);
    expect(embeddingsForScorer(ScorerConfigSchema.parse({ type: 'rouge' }), models, env)).toBeUndefined();
  });

  it('through the model registry (#22): callable(name) gives the endpoint and the clear key', async () => {
    const registered = (name: string, provider: 'openai-compatible' | 'anthropic'): CallableModel => ({
      model: {
        id: 1,
        name,
        provider,
        model: 'gte-base',
        base_url: fake.baseURL,
        api_key_last4: '…test',
        price_in_per_mtok: null,
        price_out_per_mtok: null,
        price_effective_from: null,
        params: {},
        active: true,
        created_at: '2026-12-01T00:00:00Z',
        updated_at: '2026-12-01T00:00:00Z',
        health: null,
      },
      def: { name, provider, model: 'gte-base', base_url: fake.baseURL },
      apiKey: 'sk-embed-test',
      prices: null,
    });
    const registry: Pick<ModelRegistry, 'callable'> = {
      callable: async (n) =>
        n === 'reg-embed'
          ? registered('reg-embed', 'openai-compatible')
          : n === 'reg-claude'
            ? registered('reg-claude', 'anthropic')
            : null,
    };
    const embed = embeddingsFromRegistry(registry);
    const s = createScorer({ type: 'semantic', model: 'reg-embed', threshold: 0.5 });
    const r = await s.score('green tea', item('tea green'), { embed });
    expect(r.score).toBeCloseTo(expectedCosine(vectorOf('green tea'), vectorOf('tea green')), 12);
    expect(fake.requests.at(-1)!.body.model).toBe('gte-base');
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-embed-test');
    await expect(
      createScorer({ type: 'semantic', model: 'missing' }).score('a', item('b'), { embed }),
    ).rejects.toThrow(/not registered/);
    await expect(
      createScorer({ type: 'semantic', model: 'reg-claude' }).score('a', item('b'), { embed }),
    ).rejects.toThrow(/no \/v1\/embeddings/);
    await expect(
      createScorer({ type: 'semantic', model: 'reg-embed', base_url: 'http://127.0.0.1:1/v1' }).score(
        'a',
        item('b'),
        { embed },
      ),
    ).rejects.toThrow(/for models.yaml/);
  });
});
