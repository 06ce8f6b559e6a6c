import type { BenchItem } from '../benchmarks/types.ts';

/** What a scorer makes of one response. `correct` and `score` are null exactly when unscored. */
export interface ScoreResult {
  outcome: 'correct' | 'incorrect' | 'unscored';
  correct: boolean | null;
  score: number | null;
  /** The answer extracted from the response (null when none was found). */
  answer: string | null;
}

/** Which embeddings model a semantic scorer names (its config's model, base_url, api_key_env). */
export interface EmbeddingModelRef {
  model: string;
  base_url?: string | undefined;
  api_key_env?: string | undefined;
}

export interface ScoreContext {
  /** Asks the judge model; used by the judge scorer only. */
  judge?: (prompt: string) => Promise<string>;
  /** One embedding vector per text, from the named model; used by the semantic scorer only. */
  embed?: (model: EmbeddingModelRef, texts: string[]) => Promise<number[][]>;
}

export interface Scorer {
  /** Rejects only when scoring itself failed (e.g. the judge did not answer); the runner records an error. */
  score(response: string, item: BenchItem, ctx?: ScoreContext): Promise<ScoreResult>;
}

export const unscored = (answer: string | null = null): ScoreResult => ({
  outcome: 'unscored',
  correct: null,
  score: null,
  answer,
});

/** A right/wrong verdict with score 1/0. */
export const verdict = (ok: boolean, answer: string): ScoreResult => ({
  outcome: ok ? 'correct' : 'incorrect',
  correct: ok,
  score: ok ? 1 : 0,
  answer,
});
