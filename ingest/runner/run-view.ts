import { z } from 'zod';
import type { RunInfo, RunStatus } from '../../core/store.ts';
import type { ProgressSnapshot } from './stats.ts';

/** What GET /runs, GET /runs/{id} and `evalhouse runs list` show of a run (snake_case, as the API answers). */
export const RunViewSchema = z.object({
  id: z.number(),
  benchmark: z.string(),
  model: z.string(),
  label: z.string(),
  source: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  prompt: z
    .object({ name: z.string(), version: z.number().int(), label: z.string().nullable() })
    .nullable()
    .describe("the stored prompt version it ran with (prompts/); null: the benchmark's own template"),
  /** Its runner is in the answering server (it can be cancelled there). */
  active: z.boolean(),
  progress: z
    .object({
      done: z.number().nullable(),
      total: z.number().nullable(),
      correct: z.number(),
      incorrect: z.number(),
      unscored: z.number(),
      errors: z.number(),
      accuracy: z.number().nullable(),
      stderr: z.number().nullable(),
      items_per_sec: z.number().nullable(),
      eta_sec: z.number().nullable(),
      tokens_in: z.number(),
      tokens_out: z.number(),
      cost_usd: z.number(),
    })
    .nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RunView = z.infer<typeof RunViewSchema>;

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
    prompt: run.prompt,
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
