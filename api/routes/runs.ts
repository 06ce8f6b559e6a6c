import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import type { RecordStore } from '../../core/store.ts';
import { DEFAULT_BENCHMARKS_ROOT, loadBenchmark } from '../../ingest/benchmarks/load.ts';
import { BenchmarkError, formatProblem } from '../../ingest/benchmarks/types.ts';
import { loadModels, type ModelDef, ModelsFileError } from '../../ingest/providers/models.ts';
import { createProvider, type Env, ModelSetupError, resolveModel } from '../../ingest/providers/registry.ts';
import { planFromBenchmark } from '../../ingest/runner/from-benchmark.ts';
import { RunConfigMismatchError, runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import type { ProgressSnapshot } from '../../ingest/runner/stats.ts';

export interface RunsRoutesOptions {
  store: RecordStore;
  /** Where API keys are read from (the variables models.yaml names). */
  env: Env;
  /** Default: models.yaml in the working directory. */
  modelsFile?: string;
  /** Default: the bundled benchmarks folder. */
  benchmarksRoot?: string;
}

const posInt = z.number().int().min(1);

/** The same options as `evalhouse run`, in snake_case. Benchmarks are named by slug only (no server paths). */
const StartRun = z.strictObject({
  benchmark: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a benchmark slug (see GET /benchmarks)')
    .max(191),
  model: z.string().min(1).max(191).describe('a name from models.yaml, or provider:model-id'),
  base_url: z.string().url().optional().describe('for an ad hoc openai-compatible:<id> model only'),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional(),
  limit: posInt.optional(),
  sample_seed: z.number().int().min(0).optional(),
  samples: posInt.max(1000).optional(),
  concurrency: posInt.max(1024).optional(),
  rpm: posInt.optional(),
  tpm: posInt.optional(),
  deadline_ms: z.number().int().min(100).optional(),
  run_id: z.string().min(1).max(191).optional().describe('run label; the same label again resumes the run'),
  resume: z
    .union([posInt, z.string().min(1).max(191)])
    .optional()
    .describe('a run id or label to resume'),
});

const RunId = z.strictObject({ id: z.coerce.number().int().min(1) });

interface Active {
  controller: AbortController;
  progress: ProgressSnapshot | null;
  done: Promise<unknown>;
}

const newLabel = () => `api-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;

/**
 * POST /runs starts a benchmark run in the background (202 with its id); GET /runs/:id reports its progress.
 * Runs in flight are stopped cleanly (paused, resumable) when the server closes.
 */
export default async function runsRoutes(app: FastifyInstance, opts: RunsRoutesOptions) {
  const { store, env } = opts;
  const active = new Map<number, Active>();

  app.addHook('onClose', async () => {
    for (const a of active.values()) a.controller.abort();
    await Promise.allSettled([...active.values()].map((a) => a.done));
  });

  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/runs',
    {
      schema: {
        summary: 'Start (or resume) a benchmark run against a model; answers 202 with the run id',
        body: StartRun,
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.resume !== undefined && b.run_id !== undefined)
        throw errors.badRequest('give run_id or resume, not both');
      let model: ModelDef;
      try {
        model = resolveModel(b.model, await loadModels(opts.modelsFile ?? 'models.yaml'), {
          baseUrl: b.base_url,
          apiKeyEnv: b.api_key_env,
        });
      } catch (err) {
        if (err instanceof ModelSetupError || err instanceof ModelsFileError)
          throw errors.badRequest(err.message);
        throw err;
      }
      // A caller must not be able to send a server-side key to a URL of its choosing: through the API, a key
      // variable can be named only for the vendors' own endpoints; other models are declared in models.yaml.
      if (b.base_url !== undefined && model.provider !== 'openai-compatible') {
        throw errors.badRequest(
          'base_url is accepted for ad hoc openai-compatible models only; declare others in models.yaml',
        );
      }
      if (b.api_key_env !== undefined && model.base_url !== undefined) {
        throw errors.badRequest(
          'api_key_env is not accepted with a custom base URL through the API; declare the model in models.yaml',
        );
      }
      let provider: Awaited<ReturnType<typeof createProvider>>;
      try {
        provider = await createProvider(model, env);
      } catch (err) {
        if (err instanceof ModelSetupError) throw errors.badRequest(err.message);
        throw err;
      }
      let def: Awaited<ReturnType<typeof loadBenchmark>>;
      try {
        def = await loadBenchmark(b.benchmark, opts.benchmarksRoot ?? DEFAULT_BENCHMARKS_ROOT);
      } catch (err) {
        if (err instanceof BenchmarkError) {
          throw errors.badRequest(
            `benchmark ${b.benchmark} cannot be run: ${err.problems.map(formatProblem).join('; ')}`,
            {
              problems: err.problems,
            },
          );
        }
        throw err;
      }

      let label = b.run_id ?? newLabel();
      let selection = { limit: b.limit ?? null, sampleSeed: b.sample_seed ?? null, samples: b.samples ?? 1 };
      if (b.resume !== undefined) {
        const run =
          typeof b.resume === 'number'
            ? await store.getRun(b.resume)
            : await store.findRun(def.slug, model.name, b.resume);
        if (!run) throw errors.notFound('run', String(b.resume));
        if (run.benchmark !== def.slug || run.model !== model.name) {
          throw errors.badRequest(
            `run #${run.id} is ${run.benchmark} × ${run.model}, not ${def.slug} × ${model.name}`,
          );
        }
        label = run.label;
        const c = (run.config ?? {}) as {
          limit?: number | null;
          sample_seed?: number | null;
          samples?: number;
        };
        selection = {
          limit: b.limit ?? c.limit ?? null,
          sampleSeed: b.sample_seed ?? c.sample_seed ?? null,
          samples: b.samples ?? c.samples ?? 1,
        };
      }
      const existing = await store.findRun(def.slug, model.name, label);
      if (existing && active.has(existing.id)) {
        throw errors.conflict(`run #${existing.id} "${label}" is already running`, { id: existing.id });
      }
      let plan: ReturnType<typeof planFromBenchmark>;
      try {
        plan = planFromBenchmark(def, model, {
          ...selection,
          label,
          concurrency: b.concurrency,
          rpm: b.rpm,
          tpm: b.tpm,
          deadlineMs: b.deadline_ms,
        });
      } catch (err) {
        throw errors.badRequest((err as Error).message);
      }

      const controller = new AbortController();
      const entry: Active = { controller, progress: null, done: Promise.resolve() };
      let started!: (id: number) => void;
      const startedP = new Promise<number>((res) => {
        started = res;
      });
      const run = runBenchmark(plan, {
        store,
        provider,
        signal: controller.signal,
        logger: { info: (m) => req.log.info(m), warn: (m) => req.log.warn(m) },
        onStart: ({ id }) => {
          active.set(id, entry);
          started(id);
        },
        onProgress: (p) => {
          entry.progress = p;
        },
      });
      entry.done = run.then(
        (out) => {
          app.log.info(`run #${out.runId} ${out.status}${out.reason ? `: ${out.reason}` : ''}`);
          active.delete(out.runId);
        },
        (err) => {
          app.log.error({ err }, 'run failed to start or stopped on a store error');
          for (const [id, a] of active) if (a === entry) active.delete(id);
        },
      );
      // Answer once the run exists and its configuration was checked, or with the reason it could not start.
      const first = await Promise.race([startedP, run.then(() => null)]).catch((err: unknown) => {
        if (err instanceof RunConfigMismatchError) throw errors.conflict(err.message);
        throw err;
      });
      const id = first ?? (await store.findRun(def.slug, model.name, label))?.id;
      return reply.code(202).send({ id, label, status: 'running', url: `/runs/${id}` });
    },
  );

  r.get(
    '/runs/:id',
    {
      schema: {
        summary: 'A run: status, progress counts, accuracy so far, and the reason it stopped',
        params: RunId,
      },
    },
    async (req) => {
      const run = await store.getRun(req.params.id);
      if (!run) throw errors.notFound('run', String(req.params.id));
      const live = active.get(run.id);
      const progress = (live?.progress ?? run.summary ?? null) as Partial<ProgressSnapshot> | null;
      return {
        id: run.id,
        benchmark: run.benchmark,
        model: run.model,
        label: run.label,
        source: run.source,
        status: run.status,
        reason: run.statusReason,
        active: live !== undefined,
        config: run.config,
        progress: progress && {
          done: progress.done ?? null,
          total: progress.total ?? null,
          correct: progress.correct ?? 0,
          incorrect: progress.incorrect ?? 0,
          unscored: progress.unscored ?? 0,
          errors: progress.errors ?? 0,
          accuracy: progress.accuracy ?? null,
          stderr: progress.stderr ?? null,
          items_per_sec: progress.itemsPerSec ?? null,
          eta_sec: progress.etaSec ?? null,
          tokens_in: progress.tokensIn ?? 0,
          tokens_out: progress.tokensOut ?? 0,
          cost_usd: progress.costUsd ?? 0,
        },
        created_at: run.createdAt,
        updated_at: run.updatedAt,
      };
    },
  );
}
