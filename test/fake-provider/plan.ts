import { PLAN_DEFAULTS, type PlanItem, type RunPlan } from '../../ingest/runner/plan.ts';

/** Items "Question i" whose reference is one of A-D; `answerFor` gives the fake server's scripted answer. */
export function testItems(n: number): PlanItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `q${i}`,
    messages: [
      { role: 'system' as const, content: 'Answer with a letter.' },
      { role: 'user' as const, content: `Question ${i}` },
    ],
    input: `Answer with a letter.\n\nQuestion ${i}`,
    reference: 'ABCD'[i % 4]!,
    metadata: { parity: i % 2 === 0 ? 'even' : 'odd' },
  }));
}

/** Right for even questions, wrong (the next letter) for odd ones: accuracy 0.5 on any even count. */
export function answerFor(prompt: string): string {
  const i = Number(/Question (\d+)/.exec(prompt)?.[1] ?? -1);
  return `Answer: ${'ABCD'[(i % 2 === 0 ? i : i + 1) % 4]}`;
}

export function testPlan(n: number, over: Partial<RunPlan> = {}): RunPlan {
  return {
    benchmark: 'fake-bench',
    model: 'fake-model',
    label: `t-${Math.random().toString(36).slice(2, 8)}`,
    config: {
      benchmark_version: '1',
      prompt_version: 'p1',
      provider: 'openai',
      model_id: 'gpt-fake',
      params: { temperature: 0, max_tokens: 16 },
      limit: null,
      sample_seed: null,
      samples: 1,
    },
    items: testItems(n),
    score: async (response, item) => {
      const answer = /Answer: (\w)/.exec(response)?.[1] ?? null;
      if (answer === null) return { outcome: 'unscored', correct: null, score: null, answer };
      const ok = answer === item.reference;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score: ok ? 1 : 0, answer };
    },
    concurrency: 4,
    deadlineMs: 5000,
    stallMs: 2000,
    graceMs: 1000,
    retry: { maxAttempts: 5, baseMs: 20, maxMs: 200 },
    maxBatchRows: PLAN_DEFAULTS.maxBatchRows,
    writeBehind: over.concurrency ?? 4,
    ...over,
  };
}
