import type { BenchItem } from '../benchmarks/types.ts';
import type { ScoreContext, ScoreResult, Scorer } from './types.ts';

/**
 * Composition of scorers per benchmark. all / any are three-valued (Kleene): an unscored part is
 * "unknown", so `all` is incorrect as soon as one part is, correct only when every part is, and
 * unscored otherwise (`any` the mirror image); their score is 1 or 0. `weighted` is the weighted mean
 * of the parts' scores, each clipped to [0, 1] (a cosine can be negative), an unscored part counting 0;
 * correct when the mean is ≥ threshold, unscored only when every part is. A part that fails rejects.
 */

const firstAnswer = (rs: ScoreResult[]): string | null => rs.find((r) => r.answer !== null)?.answer ?? null;

function threeValued(rs: ScoreResult[], mode: 'all' | 'any'): ScoreResult {
  const decisive = mode === 'all' ? 'incorrect' : 'correct';
  const outcome: ScoreResult['outcome'] = rs.some((r) => r.outcome === decisive)
    ? decisive
    : rs.some((r) => r.outcome === 'unscored')
      ? 'unscored'
      : mode === 'all'
        ? 'correct'
        : 'incorrect';
  const answer = firstAnswer(rs);
  if (outcome === 'unscored') return { outcome, correct: null, score: null, answer };
  const ok = outcome === 'correct';
  return { outcome, correct: ok, score: ok ? 1 : 0, answer };
}

export function allAnyScorer(mode: 'all' | 'any', parts: Scorer[]): Scorer {
  return {
    async score(response: string, item: BenchItem, ctx?: ScoreContext) {
      return threeValued(await Promise.all(parts.map((p) => p.score(response, item, ctx))), mode);
    },
  };
}

export function weightedScorer(parts: { scorer: Scorer; weight: number }[], threshold: number): Scorer {
  const total = parts.reduce((s, p) => s + p.weight, 0);
  return {
    async score(response: string, item: BenchItem, ctx?: ScoreContext) {
      const rs = await Promise.all(parts.map((p) => p.scorer.score(response, item, ctx)));
      const answer = firstAnswer(rs);
      if (rs.every((r) => r.outcome === 'unscored'))
        return { outcome: 'unscored', correct: null, score: null, answer };
      let sum = 0;
      for (const [i, r] of rs.entries()) sum += parts[i]!.weight * Math.min(1, Math.max(0, r.score ?? 0));
      const score = sum / total;
      const ok = score >= threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
