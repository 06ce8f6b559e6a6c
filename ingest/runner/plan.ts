import { createHash } from 'node:crypto';
import type { RunPrompt } from '../../core/store.ts';
import type { MetaValue } from '../../core/types.ts';
import type { ChatMessage, ModelParams } from '../providers/types.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';

/** One benchmark item, its prompt already rendered. */
export interface PlanItem {
  id: string;
  messages: ChatMessage[];
  /** The prompt as stored with the result (system and user text). */
  input: string;
  reference: string | null;
  metadata: Record<string, MetaValue>;
}

export interface ScoreResult {
  outcome: 'correct' | 'incorrect' | 'unscored';
  correct: boolean | null;
  score: number | null;
  answer: string | null;
}

export type ScoreFn = (response: string, item: PlanItem) => Promise<ScoreResult>;

/**
 * What a run is, fixed when it is created: a resume with anything different here is refused, because its
 * results would not be comparable. How fast it runs (concurrency, rate limits, deadlines) is not part of it.
 */
export interface RunConfig {
  benchmark_version: string;
  prompt_version: string;
  provider: string;
  model_id: string;
  params: ModelParams;
  limit: number | null;
  sample_seed: number | null;
  samples: number;
  /** The judge model's name, for benchmarks scored by an LLM judge. */
  judge_model?: string;
}

export interface RunPlan {
  benchmark: string;
  /** The model's name as results are stored under it. */
  model: string;
  /** Run label (`--run-id`). */
  label: string;
  config: RunConfig;
  /** The stored prompt the items were rendered with (prompts/), recorded on the run; absent: the benchmark's. */
  prompt?: RunPrompt | undefined;
  /** The selected items (after --limit / --sample-seed). */
  items: PlanItem[];
  score: ScoreFn;
  concurrency: number;
  rpm?: number | undefined;
  tpm?: number | undefined;
  /** Per-attempt deadline (ms). */
  deadlineMs: number;
  /** Abort an attempt when no byte arrived for this long (ms). */
  stallMs: number;
  /** On Ctrl-C, how long in-flight requests may finish before they are aborted (ms). */
  graceMs: number;
  retry: RetryPolicy;
  /** Rows per write at most. */
  maxBatchRows: number;
  /**
   * Answered results that may wait for the store while new requests go out. 0 holds a request slot until its
   * row is stored (a crash then loses at most `concurrency` answers, at some cost in speed when writes are slow).
   */
  writeBehind: number;
}

export const PLAN_DEFAULTS = {
  concurrency: 8,
  deadlineMs: 120_000,
  stallMs: 30_000,
  graceMs: 10_000,
  retry: DEFAULT_RETRY,
  maxBatchRows: 500,
} as const;

/** Write-behind defaults to the concurrency: a crash loses at most 2 × concurrency answers, typically far fewer. */
export const defaultWriteBehind = (concurrency: number) => concurrency;

function rank(seed: number, id: string): string {
  return createHash('sha256').update(`${seed}\u0000${id}`).digest('hex');
}

/**
 * `--limit N` alone takes the first N items in file order (as lm-eval does); with `--sample-seed S` it takes the
 * N items whose hash of (S, item id) is smallest: deterministic, independent of file order, and a larger N
 * with the same seed is a superset of a smaller one. The chosen items keep file order.
 */
export function selectItems<T extends { id: string }>(
  items: T[],
  limit: number | null,
  seed: number | null,
): T[] {
  if (limit === null || limit >= items.length) return items;
  if (seed === null) return items.slice(0, limit);
  const keep = new Set(
    items
      .map((it) => ({ id: it.id, r: rank(seed, it.id) }))
      .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
      .slice(0, limit)
      .map((x) => x.id),
  );
  return items.filter((it) => keep.has(it.id));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

/** The config keys whose values differ, as "key: stored → requested". */
export function configDiff(stored: unknown, requested: RunConfig): string[] {
  const a = (canonical(stored) ?? {}) as Record<string, unknown>;
  const b = canonical(requested) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const x = JSON.stringify(a[k] ?? null);
    const y = JSON.stringify(b[k] ?? null);
    if (x !== y) out.push(`${k}: ${x} → ${y}`);
  }
  return out;
}
