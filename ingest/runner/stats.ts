import type { Outcome } from '../../core/types.ts';

/** Counters a run keeps in its summary (cumulative over resumed sessions). */
export interface RunCounts {
  correct: number;
  incorrect: number;
  unscored: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Time spent asking, over all sessions. */
  durationMs: number;
}

export interface ProgressSnapshot extends RunCounts {
  runId: number;
  label: string;
  status: 'running' | 'stopping' | 'paused' | 'failed' | 'completed';
  /** Items×samples stored (before this session included). */
  done: number;
  total: number;
  /** Stored before this session started. */
  doneBefore: number;
  inFlight: number;
  /** Accuracy over scored samples (unscored and errors left out), its standard error, and n. */
  accuracy: number | null;
  stderr: number | null;
  scored: number;
  itemsPerSec: number;
  etaSec: number | null;
  elapsedMs: number;
}

export const ZERO_COUNTS: RunCounts = {
  correct: 0,
  incorrect: 0,
  unscored: 0,
  errors: 0,
  tokensIn: 0,
  tokensOut: 0,
  costUsd: 0,
  durationMs: 0,
};

/** Reads the counters back from a stored summary, tolerating anything. */
export function countsFrom(summary: unknown): RunCounts {
  const s = (summary && typeof summary === 'object' ? summary : {}) as Record<string, unknown>;
  const n = (k: keyof RunCounts) =>
    typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : 0;
  return {
    correct: n('correct'),
    incorrect: n('incorrect'),
    unscored: n('unscored'),
    // Errors are deleted and re-asked on every resume, so earlier sessions' errors do not carry over.
    errors: 0,
    tokensIn: n('tokensIn'),
    tokensOut: n('tokensOut'),
    costUsd: n('costUsd'),
    durationMs: n('durationMs'),
  };
}

/** Binomial accuracy with its standard error sqrt(p(1-p)/n), over scored samples only. */
export function accuracyOf(
  correct: number,
  incorrect: number,
): { accuracy: number | null; stderr: number | null; n: number } {
  const n = correct + incorrect;
  if (n === 0) return { accuracy: null, stderr: null, n };
  const p = correct / n;
  return { accuracy: p, stderr: Math.sqrt((p * (1 - p)) / n), n };
}

export class RunStats {
  readonly counts: RunCounts;
  written = 0;

  constructor(
    readonly total: number,
    readonly doneBefore: number,
    previous: RunCounts,
    private readonly startedAt: number,
  ) {
    this.counts = { ...previous };
  }

  add(r: { outcome: Outcome; tokensIn?: number | null; tokensOut?: number | null; costUsd?: number | null }) {
    this.written++;
    const c = this.counts;
    if (r.outcome === 'correct') c.correct++;
    else if (r.outcome === 'incorrect') c.incorrect++;
    else if (r.outcome === 'unscored') c.unscored++;
    else c.errors++;
    c.tokensIn += r.tokensIn ?? 0;
    c.tokensOut += r.tokensOut ?? 0;
    c.costUsd += r.costUsd ?? 0;
  }

  snapshot(
    now: number,
    base: Pick<ProgressSnapshot, 'runId' | 'label' | 'status' | 'inFlight'>,
  ): ProgressSnapshot {
    const elapsedMs = now - this.startedAt;
    // Errors are stored but re-asked on resume; they still count as "done" for this session's progress.
    const done = this.doneBefore + this.written;
    const itemsPerSec = elapsedMs > 0 ? (this.written * 1000) / elapsedMs : 0;
    const remaining = this.total - done;
    const acc = accuracyOf(this.counts.correct, this.counts.incorrect);
    return {
      ...base,
      ...this.counts,
      durationMs: this.counts.durationMs + elapsedMs,
      done,
      total: this.total,
      doneBefore: this.doneBefore,
      accuracy: acc.accuracy,
      stderr: acc.stderr,
      scored: acc.n,
      itemsPerSec,
      etaSec: itemsPerSec > 0 ? remaining / itemsPerSec : null,
      elapsedMs,
    };
  }
}
