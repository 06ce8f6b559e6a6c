/**
 * An A/B test of two stored prompt versions end to end: both versions run through the runner on the same
 * MMLU-Redux items against a local fake OpenAI-compatible server whose answer depends on the prompt it gets,
 * then POST /compare with prompt_versions. Expected figures come from the items' references and the fake's rule.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactBinomialCdf } from '../../core/stats/testing/exact.ts';
import { loadBenchmark } from '../../ingest/benchmarks/load.ts';
import { templateSlots } from '../../ingest/benchmarks/render.ts';
import type { BenchmarkDef } from '../../ingest/benchmarks/types.ts';
import { createOpenAIProvider } from '../../ingest/providers/openai.ts';
import { planFromBenchmark } from '../../ingest/runner/from-benchmark.ts';
import type { RunPlan } from '../../ingest/runner/plan.ts';
import { runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { type ApiFixture, openApiFixture } from '../api/fixture.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';

const MARK = '(v2) ';
/** The fake model: under version 1 always "B"; under version 2 "A" when the prompt's length is even, else "B". */
const answerFor = (prompt: string) => (prompt.startsWith(MARK) ? (prompt.length % 2 === 0 ? 'A' : 'B') : 'B');

let fx: ApiFixture;
let fake: FakeProvider;
let def: BenchmarkDef;
const plans: RunPlan[] = [];

beforeAll(async () => {
  fake = await startFakeProvider({ answer: (c) => `Answer: ${answerFor(c.prompt)}` });
  fx = await openApiFixture({ mysql: true, records: [] });
  def = await loadBenchmark('mmlu-redux');
  const variables = templateSlots(def.template);
  const provider = createOpenAIProvider({
    client: new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
    model: 'fake',
    flavor: 'openai-compatible',
  });
  for (const version of [1, 2]) {
    const template = {
      system: null,
      user: version === 2 ? `${MARK}${def.template.user}` : def.template.user,
      variables,
      params: {},
    };
    const plan = planFromBenchmark(
      def,
      { name: 'fake-model', provider: 'openai-compatible', model: 'fake', params: {} },
      {
        label: `qa-v${version}`,
        limit: 300,
        sampleSeed: 7,
        prompt: { name: 'qa', version, label: null, template },
      },
    );
    plans.push(plan);
    const run = await runBenchmark(plan, { store: fx.ctx.record, provider });
    expect(run.status).toBe('completed');
  }
  await fx.ctx.syncMirror();
}, 180_000);
afterAll(async () => {
  await fx?.close();
  await fake?.close();
});

/** The paired table from the references and the fake's rule (A = qa@1, B = qa@2), optionally one category. */
function expected(category?: string) {
  const t = { n: 0, both: 0, onlyA: 0, onlyB: 0, neither: 0 };
  const v2 = new Map(plans[1]!.items.map((it) => [it.id, it]));
  for (const it of plans[0]!.items) {
    if (category && it.metadata.category !== category) continue;
    const other = v2.get(it.id)!;
    const user = (p: typeof it) => String(p.messages.at(-1)!.content);
    const a = answerFor(user(it)) === it.reference;
    const b = answerFor(user(other)) === other.reference;
    t.n++;
    if (a && b) t.both++;
    else if (a) t.onlyA++;
    else if (b) t.onlyB++;
    else t.neither++;
  }
  return t;
}

describe('POST /compare with prompt_versions, after running both versions through the runner', () => {
  it('the runs record their prompt versions; both versions ran on the same items', async () => {
    const runs = (await fx.app.inject({ method: 'GET', url: '/runs?benchmark=mmlu-redux' })).json().runs;
    expect(runs).toHaveLength(2);
    expect(plans[0]!.items.map((i) => i.id)).toEqual(plans[1]!.items.map((i) => i.id));
    // the fake's rule gives every cell of the paired table some items
    const t = expected();
    for (const cell of [t.both, t.onlyA, t.onlyB, t.neither]) expect(cell).toBeGreaterThan(0);
  });

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`${engine}: counts, difference, exact p and P(B better) equal the computation from the references`, async () => {
      const res = await fx.app.inject({
        method: 'POST',
        url: '/compare',
        payload: { prompt_versions: ['qa@1', 'qa@2'], level1: 'category', engine },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.mode).toBe('prompt_versions');
      expect(body.baseline).toBe('qa@1');
      for (const r of body.rows) {
        const t = expected(r.overall ? undefined : r.groups.category);
        expect(r.model).toBe('qa@2');
        expect(r.n_paired).toBe(t.n);
        expect(r.discordant).toEqual({ a_only: t.onlyB, b_only: t.onlyA });
        expect(r.diff).toBeCloseTo((t.onlyB - t.onlyA) / t.n, 14);
        // exact McNemar, two-sided: min(1, 2·P(X ≤ min(b, c))), X ~ Bin(b + c, ½)
        const m = t.onlyA + t.onlyB;
        const p = m === 0 ? 1 : Math.min(1, 2 * exactBinomialCdf(Math.min(t.onlyA, t.onlyB), m, 1, 2));
        expect(Math.abs(r.p_value - p)).toBeLessThanOrEqual(1e-9 * p);
        // P(B better) = P(Bin(onlyA + onlyB + 1, ½) ≤ onlyB) under the Dirichlet(1 + counts) posterior
        const pb = exactBinomialCdf(t.onlyB, m + 1, 1, 2);
        expect(Math.abs(r.paired_bayes.prob_model_better - pb)).toBeLessThan(1e-9);
        expect(r.paired_bayes.diff_mean).toBeCloseTo((t.onlyB - t.onlyA) / (t.n + 4), 14);
      }
      expect(body.rows.filter((r: { overall: boolean }) => !r.overall)).toHaveLength(4);
    }, 60_000);
  }
});
