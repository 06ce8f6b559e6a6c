import type { RunInfo, RunStatus } from '../../core/store.ts';
import type { ProgressSnapshot } from './stats.ts';

/** What GET /runs and `evalhouse runs list` show of a run (snake_case, as the API answers). */
export interface RunView {
  id: number;
  benchmark: string;
  model: string;
  label: string;
  source: string;
  status: string;
  reason: string | null;
  /** Its runner is in the answering server (it can be cancelled there). */
  active: boolean;
  progress: {
    done: number | null;
    total: number | null;
    correct: number;
    incorrect: number;
    unscored: number;
    errors: number;
    accuracy: number | null;
    stderr: number | null;
    items_per_sec: number | null;
    eta_sec: number | null;
    tokens_in: number;
    tokens_out: number;
    cost_usd: number;
  } | null;
  created_at: string;
  updated_at: string;
}

/** `live`: the progress of a runner in this process, fresher than the stored summary. */
export function runView(run: RunInfo, live?: { progress: ProgressSnapshot | null }): RunView {
  const p = (live?.progress ?? run.summary ?? null) as Partial<ProgressSnapshot> | null;
  return {
    id: run.id,
    benchmark: run.benchmark,
    model: run.model,
    label: run.label,
    source: run.source,
    status: run.status,
    reason: run.statusReason,
    active: live !== undefined,
    progress:
      p && typeof p === 'object'
        ? {
            done: p.done ?? null,
            total: p.total ?? null,
            correct: p.correct ?? 0,
            incorrect: p.incorrect ?? 0,
            unscored: p.unscored ?? 0,
            errors: p.errors ?? 0,
            accuracy: p.accuracy ?? null,
            stderr: p.stderr ?? null,
            items_per_sec: p.itemsPerSec ?? null,
            eta_sec: p.etaSec ?? null,
            tokens_in: p.tokensIn ?? 0,
            tokens_out: p.tokensOut ?? 0,
            cost_usd: p.costUsd ?? 0,
          }
        : null,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
  };
}

export interface RunFilter {
  benchmark?: string | undefined;
  model?: string | undefined;
  status?: RunStatus | undefined;
}

/** Runs matching the filter, newest first. */
export function filterRuns(runs: RunInfo[], f: RunFilter): RunInfo[] {
  return runs
    .filter(
      (r) =>
        (f.benchmark === undefined || r.benchmark === f.benchmark) &&
        (f.model === undefined || r.model === f.model) &&
        (f.status === undefined || r.status === f.status),
    )
    .sort((a, b) => b.id - a.id);
}
