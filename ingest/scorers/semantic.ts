import type { BenchItem } from '../benchmarks/types.ts';
import { type EmbeddingModelRef, type Scorer, unscored } from './types.ts';

/** Cosine similarity of two vectors of equal length; 0 when either is all zeros. */
export function cosine(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0)
    throw new Error(`embeddings of different lengths (${a.length} and ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return 0;
  // Rounding can push |cos| a hair over 1 for (near-)parallel vectors.
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/**
 * Semantic similarity: the cosine of the response's and the reference's embeddings (from ctx.embed, an
 * OpenAI-compatible /v1/embeddings). The score is the raw cosine; correct when it is ≥ threshold. No
 * embedder, or one that fails, rejects, so the runner records an error rather than a wrong answer.
 */
export function semanticScorer(config: EmbeddingModelRef & { threshold: number }): Scorer {
  const ref: EmbeddingModelRef = {
    model: config.model,
    ...(config.base_url !== undefined ? { base_url: config.base_url } : {}),
    ...(config.api_key_env !== undefined ? { api_key_env: config.api_key_env } : {}),
  };
  return {
    async score(response: string, item: BenchItem, ctx) {
      if (!ctx?.embed) throw new Error('the semantic scorer needs an embeddings model (ctx.embed)');
      const answer = response.trim();
      if (answer === '') return unscored();
      const vectors = await ctx.embed(ref, [answer, item.reference]);
      if (vectors.length !== 2) throw new Error(`embeddings: asked for 2 vectors, got ${vectors.length}`);
      const score = cosine(vectors[0]!, vectors[1]!);
      const ok = score >= config.threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
