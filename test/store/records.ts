import type { CanonicalRecord, Outcome } from '../../core/types.ts';

/** Small deterministic canonical records for store tests (generated: test data, not results). */
export function makeRecords(opts: {
  benchmark?: string;
  models?: string[];
  items?: number;
  samples?: number;
  run?: string;
  seed?: number;
}): CanonicalRecord[] {
  const { benchmark = 'bench-a', models = ['m1', 'm2'], items = 20, samples = 1, run = 'r1' } = opts;
  let s = opts.seed ?? 1;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: CanonicalRecord[] = [];
  for (const model of models) {
    for (let i = 0; i < items; i++) {
      for (let k = 0; k < samples; k++) {
        const u = rand();
        const outcome: Outcome =
          u < 0.05 ? 'error' : u < 0.1 ? 'unscored' : u < 0.6 ? 'correct' : 'incorrect';
        const correct = outcome === 'correct' ? true : outcome === 'incorrect' ? false : null;
        out.push({
          benchmark,
          model,
          run,
          item_id: `q${i}`,
          sample: k,
          outcome,
          correct,
          score: correct === null ? null : correct ? 1 : 0,
          metadata: {
            subject: `s${i % 4}`,
            year: 2000 + (i % 3),
            hard: i % 2 === 0,
            level: i % 5 === 0 ? null : `L${i % 5}`,
          },
          answer: String.fromCharCode(65 + Math.floor(rand() * 4)),
          latency_ms: Math.round(rand() * 1000),
          tokens_in: 100 + i,
          tokens_out: 10 + k,
          cost_usd: 0.001,
          error: outcome === 'error' ? 'provider timeout' : null,
        });
      }
    }
  }
  return out;
}
