import { z } from 'zod';
import { DEFAULT_BENCHMARKS_ROOT, loadBenchmark } from '../benchmarks/load.ts';
import type { BenchmarkDef } from '../benchmarks/types.ts';
import { loadModels, type ModelDef, ModelParamsSchema } from '../providers/models.ts';
import { createProvider, type Env, resolveModel } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';
import { planFromBenchmark } from '../runner/from-benchmark.ts';
import type { RunPlan } from '../runner/plan.ts';
import { embeddingsForScorer } from '../scorers/embeddings.ts';

/**
 * What a queued run asks, as stored in MySQL (run_queue.spec, schedules.spec): enough for any worker to
 * rebuild the same plan from its own models.yaml and benchmarks folder. No key, only the variable's name.
 */
export const QueuedRunSpecSchema = z.object({
  /** a slug (under the worker's benchmarks folder) or an absolute folder */
  benchmark: z.string().min(1),
  model: z.string().min(1),
  base_url: z.string().optional(),
  api_key_env: z.string().optional(),
  judge_model: z.string().optional(),
  label: z.string().min(1),
  limit: z.number().int().nullable(),
  sample_seed: z.number().int().nullable(),
  samples: z.number().int().min(1),
  concurrency: z.number().int().min(1).optional(),
  rpm: z.number().int().min(1).optional(),
  tpm: z.number().int().min(1).optional(),
  deadline_ms: z.number().int().min(1).optional(),
  stall_ms: z.number().int().min(1).optional(),
  max_attempts: z.number().int().min(1).optional(),
  write_behind: z.number().int().min(0).optional(),
  /**
   * a stored prompt version (prompts/) the items are rendered with, carried whole: a worker renders it
   * without reading the workspace's prompt tables, and an edit after queueing changes nothing
   */
  prompt: z
    .object({
      name: z.string().min(1),
      version: z.number().int().min(1),
      label: z.string().nullable(),
      template: z.object({
        system: z.string().nullable(),
        user: z.string(),
        variables: z.array(z.string()),
        params: ModelParamsSchema,
      }),
    })
    .optional(),
  /** the API request (or CLI invocation) that queued it: the workers' log lines about the run carry it */
  request_id: z.string().max(191).optional(),
});
export type QueuedRunSpec = z.infer<typeof QueuedRunSpecSchema>;

/** Where a process finds what a spec names. */
export interface SpecFiles {
  models: string;
  benchmarks: string;
}

export const DEFAULT_SPEC_FILES: SpecFiles = { models: 'models.yaml', benchmarks: DEFAULT_BENCHMARKS_ROOT };

export interface BuiltPlan {
  plan: RunPlan;
  provider: Provider;
  model: ModelDef;
  def: BenchmarkDef;
}

/** The plan a spec stands for (prompts rendered, items selected, scorer bound); throws what the CLI throws. */
export async function planForSpec(spec: QueuedRunSpec, files: SpecFiles, env: Env): Promise<BuiltPlan> {
  const models = await loadModels(files.models);
  const model = resolveModel(spec.model, models, { baseUrl: spec.base_url, apiKeyEnv: spec.api_key_env });
  const provider = await createProvider(model, env);
  const judge = spec.judge_model
    ? {
        name: spec.judge_model,
        provider: await createProvider(resolveModel(spec.judge_model, models), env),
      }
    : undefined;
  const def = await loadBenchmark(spec.benchmark, files.benchmarks);
  const plan = planFromBenchmark(def, model, {
    label: spec.label,
    limit: spec.limit,
    sampleSeed: spec.sample_seed,
    samples: spec.samples,
    concurrency: spec.concurrency,
    rpm: spec.rpm,
    tpm: spec.tpm,
    deadlineMs: spec.deadline_ms,
    stallMs: spec.stall_ms,
    maxAttempts: spec.max_attempts,
    writeBehind: spec.write_behind,
    prompt: spec.prompt,
    judge,
    embed: embeddingsForScorer(def.scorer, models, env, { timeoutMs: spec.deadline_ms }),
  });
  return { plan, provider, model, def };
}

/** The provider a rate limit is shared for: one vendor endpoint and model, whichever run or worker asks. */
export const limitKey = (m: ModelDef) => `${m.provider}|${m.base_url ?? ''}|${m.model}`;
