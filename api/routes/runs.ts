import { existsSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb } from '../../accounts/account-db.ts';
import type { Config } from '../../core/config.ts';
import { errors } from '../../core/errors.ts';
import { type CommitHook, RUN_STATUSES, type RunInfo, type RunStatus } from '../../core/store.ts';
import {
  DEFAULT_BENCHMARKS_ROOT,
  listBenchmarks,
  loadBenchmark,
  resolveBenchmarkDir,
} from '../../ingest/benchmarks/load.ts';
import { BenchmarkError, type BenchmarkProblem, formatProblem } from '../../ingest/benchmarks/types.ts';
import { AbortReason } from '../../ingest/providers/classify.ts';
import { loadModels, type ModelDef, ModelsFileError } from '../../ingest/providers/models.ts';
import { createProvider, ModelSetupError, resolveModel } from '../../ingest/providers/registry.ts';
import type { Provider } from '../../ingest/providers/types.ts';
import { checkBaseUrl, UrlRefusedError } from '../../ingest/providers/url-policy.ts';
import { enqueueRun } from '../../ingest/queue/enqueue.ts';
import type { QueuedRunSpec } from '../../ingest/queue/spec.ts';
import { planFromBenchmark } from '../../ingest/runner/from-benchmark.ts';
import { idleMs, looksLive, pauseAbandoned } from '../../ingest/runner/liveness.ts';
import { RunConfigMismatchError, runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { filterRuns, RunViewSchema, runView } from '../../ingest/runner/run-view.ts';
import type { ProgressSnapshot } from '../../ingest/runner/stats.ts';
import { embeddingsFromRegistry, semanticModels } from '../../ingest/scorers/embeddings.ts';
import { maybeRegistryOf, providerOf } from '../../models/registry.ts';
import { PromptStore } from '../../prompts/prompt-store.ts';
import { resolvePromptRef } from '../../prompts/reference.ts';
import { updateQueuedRun } from '../../store/mysql/queue-tables.ts';
import { isDatabaseOfRecord } from '../../store/open.ts';
import type { AppContext } from '../context.ts';
import { dataAudit } from '../data-audit.ts';
import { countRunResult } from '../metrics.ts';
import { EVENT_TIMING, type EventTiming, sendRunEvents } from './run-events.ts';
import { problems } from './schemas.ts';

export type RunPolicy = Config['runs'];

/**
 * What the runs routes read of the server's context: where results go (`record`), the RUN_* policy and
 * the environment API keys come from (`config`). `files` points them at another models.yaml and
 * benchmarks folder (default: models.yaml in the working directory, the bundled benchmarks).
 */
export type RunsContext = Pick<AppContext, 'record' | 'config'> & {
  /** the run metrics (evalhouse_run_*) count each stored result; absent in route-only tests */
  metrics?: AppContext['metrics'];
  files?: { models?: string; benchmarks?: string };
  /** how often GET /runs/{id}/events may send (tests shorten the heartbeat) */
  events?: EventTiming & { pollMs?: number };
  /** queue mode: POST /runs enqueues for the workers instead of running here */
  queue?: AppContext['queue'];
  mysql?: AppContext['mysql'];
};

const posInt = z.number().int().min(1);
const SLUG = /^[a-z0-9][a-z0-9._-]*$/;

/** What a run is of: a benchmark by slug (no server paths) and a model. POST /schedules names the same. */
export const RUN_TARGET = {
  benchmark: z.string().regex(SLUG, 'a benchmark slug (see GET /benchmarks)').max(191),
  model: z
    .string()
    .min(1)
    .max(191)
    .describe(
      'a model registered in the workspace (GET /models), a name from models.yaml, or provider:model-id',
    ),
};

/** The options of a run that a schedule may also fix. */
export const RUN_OPTIONS = {
  limit: posInt.optional(),
  sample_seed: z.number().int().min(0).optional(),
  samples: posInt.optional().describe('at most RUN_MAX_SAMPLES'),
  concurrency: posInt.optional().describe('at most RUN_MAX_CONCURRENCY'),
  rpm: posInt.optional(),
  tpm: posInt.optional(),
};

/** The same options as `evalhouse run`, in snake_case. Benchmarks are named by slug only (no server paths). */
const StartRun = z.strictObject({
  ...RUN_TARGET,
  base_url: z
    .string()
    .max(2048)
    .optional()
    .describe('http(s), for an ad hoc openai-compatible:<id> model only; internal addresses are refused'),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe('one of RUN_KEY_ENVS or a variable models.yaml names'),
  ...RUN_OPTIONS,
  deadline_ms: z.number().int().min(100).max(3_600_000).optional(),
  run_id: z.string().min(1).max(191).optional().describe('run label; the same label again resumes the run'),
  prompt: z
    .string()
    .min(1)
    .max(260)
    .optional()
    .describe(
      "a stored prompt to run instead of the benchmark's template: NAME, NAME@VERSION or NAME@LABEL (NAME alone: its production label, else its newest version)",
    ),
  resume: z
    .union([posInt, z.string().min(1).max(191)])
    .optional()
    .describe('a run id or label to resume'),
  judge_model: z
    .string()
    .min(1)
    .max(191)
    .optional()
    .describe(
      "the judge of a benchmark scored by an LLM judge: a registered model's name (or models.yaml's)",
    ),
});

const RunId = z.strictObject({ id: z.coerce.number().int().min(1) });

const ListQuery = z.strictObject({
  benchmark: z.string().max(191).optional(),
  model: z.string().max(191).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const RunDetail = RunViewSchema.extend({ config: z.unknown() });

interface Active {
  controller: AbortController;
  progress: ProgressSnapshot | null;
  done: Promise<unknown>;
  /** told of each progress change (GET /runs/{id}/events) */
  listeners: Set<() => void>;
  /** how the runner ended: its outcome, or the error it stopped on (a `run.stop` entry that failed) */
  ended: Promise<unknown>;
  /** POST /runs/{id}/cancel's `run.stop` entry, for the runner's last write (its transaction) */
  stop?: CommitHook<RunStatus> | undefined;
}

/** The prompts of a workspace's store of record (prompts/); a store that is not a database of ours has none. */
function runPromptStore(record: RunsContext['record'], req: FastifyRequest): PromptStore {
  if (!isDatabaseOfRecord(record)) throw errors.badRequest('this server keeps no stored prompts');
  return new PromptStore(accountDb(record), req.access?.workspace.id ?? null);
}

const newLabel = () => `api-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;

/** A benchmark's problems without the server's paths: the folder is named by its slug. */
function publicProblems(list: BenchmarkProblem[], dir: string, slug: string): BenchmarkProblem[] {
  const hide = (s: string) => s.split(dir).join(slug);
  return list.map((p) => ({ ...p, file: hide(p.file), message: hide(p.message) }));
}

/**
 * POST /runs starts a benchmark run in the background (202 with its id); GET /runs lists runs and
 * GET /runs/:id reports one; POST /runs/:id/cancel stops one (paused, resumable); DELETE removes a run
 * or a benchmark's runs with their results. Runs in flight are paused cleanly when the server closes.
 */
export async function runsRoutes(
  app: FastifyInstance,
  { ctx, scope }: { ctx: RunsContext; scope?: (req: FastifyRequest) => Promise<RunsContext> },
) {
  const metrics = ctx.metrics;
  const { env, runs: policy } = ctx.config;
  const root = ctx.files?.benchmarks ?? DEFAULT_BENCHMARKS_ROOT;
  /** Each workspace's runs (its run ids are its own), by its store; RUN_MAX_ACTIVE counts them all. */
  const spaces = new Map<RunsContext['record'], ReturnType<typeof workspaceRuns>>();
  const allActive = () => [...spaces.values()].flatMap((w) => [...w.active.values()]);
  /** The request's workspace (the one the guard resolved); a bare registration (tests) has `ctx` alone. */
  const at = async (req: FastifyRequest) => {
    const w = scope ? await scope(req) : ctx;
    let space = spaces.get(w.record);
    if (!space) {
      space = workspaceRuns(w);
      spaces.set(w.record, space);
    }
    return space;
  };

  app.addHook('onClose', async () => {
    const all = allActive();
    for (const a of all) a.controller.abort(new AbortReason('shutdown', 'the server closed'));
    await Promise.allSettled(all.map((a) => a.done));
  });

  function workspaceRuns(w: RunsContext) {
    const store = w.record;
    const active = new Map<number, Active>();
    // queue mode: the workspace's queue handle tags its jobs, the workers run them into its database
    const queue = w.queue && w.mysql ? { q: w.queue, store: w.mysql } : null;
    /** A run the workers are on (or will be): any replica can follow and cancel it through MySQL. */
    const inQueue = (run: RunInfo) =>
      queue !== null && (run.status === 'queued' || (run.status === 'running' && run.source === 'queue'));
    const view = (run: RunInfo) =>
      runView(run, active.get(run.id) ?? (inQueue(run) ? { progress: null } : undefined));

    /** A queued run's changes as GET /runs/{id}/events hears them: the store polled until the run stops. */
    const pollFollow = (id: number) => {
      const listeners = new Set<() => void>();
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => {
        resolveDone = r;
      });
      const timer = setInterval(() => {
        for (const f of listeners) f();
        void store.getRun(id).then(
          (r) => {
            if (!r || !inQueue(r)) stop();
          },
          () => undefined,
        );
      }, ctx.events?.pollMs ?? 1000);
      const stop = () => {
        clearInterval(timer);
        resolveDone();
      };
      return {
        subscribe: (f: () => void) => {
          listeners.add(f);
          return () => {
            listeners.delete(f);
            // the client went away: stop polling for it
            if (listeners.size === 0) stop();
          };
        },
        done,
      };
    };

    const mustGet = async (id: number): Promise<RunInfo> => {
      const run = await store.getRun(id);
      if (!run) throw errors.notFound('run', String(id));
      return run;
    };

    /** 409 unless the run may be deleted: not running here, nor (by its recent updates) in another process. */
    const assertStopped = (run: RunInfo) => {
      if (active.has(run.id)) {
        throw errors.conflict(`run #${run.id} is running; cancel it first (POST /runs/${run.id}/cancel)`, {
          id: run.id,
        });
      }
      if (looksLive(run)) {
        throw errors.conflict(
          `run #${run.id} is running in another process (updated ${Math.round(idleMs(run) / 1000)} s ago); stop it there first`,
          { id: run.id },
        );
      }
    };
    return { store, active, queue, inQueue, view, pollFollow, mustGet, assertStopped };
  }

  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/runs',
    {
      config: { permission: 'write' },
      schema: {
        summary: 'Start (or resume) a benchmark run against a model; answers 202 with the run id',
        body: StartRun,
        response: {
          202: z.object({ id: z.number(), label: z.string(), status: z.string(), url: z.string() }),
          ...problems(400, 404, 409, 503),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { store, active, queue } = await at(req);
      if (b.resume !== undefined && b.run_id !== undefined)
        throw errors.badRequest('give run_id or resume, not both');
      // The server's resources and keys are not a relay: caps, allowed key variables, allowed URLs.
      if (b.concurrency !== undefined && b.concurrency > policy.maxConcurrency) {
        throw errors.badRequest(
          `concurrency ${b.concurrency} is over this server's cap of ${policy.maxConcurrency} (RUN_MAX_CONCURRENCY)`,
          { setting: 'RUN_MAX_CONCURRENCY', max: policy.maxConcurrency },
        );
      }
      if (b.samples !== undefined && b.samples > policy.maxSamples) {
        throw errors.badRequest(
          `samples ${b.samples} is over this server's cap of ${policy.maxSamples} (RUN_MAX_SAMPLES)`,
          { setting: 'RUN_MAX_SAMPLES', max: policy.maxSamples },
        );
      }
      let models: ModelDef[];
      try {
        models = await loadModels(ctx.files?.models ?? 'models.yaml');
      } catch (err) {
        if (err instanceof ModelsFileError) throw errors.badRequest(err.message);
        throw err;
      }
      if (b.api_key_env !== undefined) {
        const allowed = new Set([
          ...policy.keyEnvs,
          ...models.flatMap((m) => (m.api_key_env ? [m.api_key_env] : [])),
        ]);
        if (!allowed.has(b.api_key_env)) {
          throw errors.badRequest(
            `api_key_env ${b.api_key_env} is not an API key variable this server allows: ` +
              `${[...allowed].join(', ')} (RUN_KEY_ENVS, and those models.yaml names)`,
            { setting: 'RUN_KEY_ENVS', allowed: [...allowed] },
          );
        }
      }
      // a registered model wins over models.yaml: its endpoint, decrypted key and prices are the registry's
      const registry = maybeRegistryOf(store, ctx.config, req.access?.workspace.id ?? null);
      const registered = registry ? await registry.byName(b.model) : null;
      if (registered && !registered.active)
        throw errors.badRequest(
          `model ${JSON.stringify(b.model)} is registered but inactive (PUT /models/${registered.id})`,
        );
      if (registered && (b.base_url !== undefined || b.api_key_env !== undefined))
        throw errors.badRequest(
          `model ${JSON.stringify(b.model)} is registered: its base URL and key are the registry's (PUT /models/${registered.id})`,
        );
      if (registered && queue)
        throw errors.badRequest(
          'registered models run on the API server, not through the queue (its workers read models.yaml); declare the model in models.yaml for queue mode',
        );
      const named = registered !== null || models.some((m) => m.name === b.model);
      // A caller must not be able to send a server-side key to a URL of its choosing: a base URL can be
      // given only for an ad hoc keyless model; others are declared in models.yaml.
      if (b.base_url !== undefined && (named || !b.model.startsWith('openai-compatible:'))) {
        throw errors.badRequest(
          'base_url is accepted for ad hoc openai-compatible:<id> models only; declare others in models.yaml',
        );
      }
      if (b.base_url !== undefined) {
        try {
          await checkBaseUrl(b.base_url, policy);
        } catch (err) {
          if (err instanceof UrlRefusedError) throw errors.badRequest(err.message);
          throw err;
        }
      }
      let model: ModelDef;
      let provider: Awaited<ReturnType<typeof createProvider>>;
      let judge: { name: string; provider: Provider } | undefined;
      try {
        const callable = registered ? await registry!.callable(registered.id) : null;
        if (callable) {
          model = callable.def;
          provider = await providerOf(callable);
        } else {
          model = resolveModel(b.model, models, { baseUrl: b.base_url, apiKeyEnv: b.api_key_env });
          if (b.api_key_env !== undefined && model.base_url !== undefined) {
            throw errors.badRequest(
              'api_key_env is not accepted with a custom base URL through the API; declare the model in models.yaml',
            );
          }
          provider = await createProvider(model, env);
        }
        if (b.judge_model !== undefined) {
          const j = registry ? await registry.callable(b.judge_model) : null;
          judge = {
            name: b.judge_model,
            provider: j
              ? await providerOf(j)
              : await createProvider(resolveModel(b.judge_model, models), env),
          };
        }
      } catch (err) {
        if (err instanceof ModelSetupError) throw errors.badRequest(err.message);
        throw err;
      }
      const dir = resolveBenchmarkDir(b.benchmark, root);
      if (!existsSync(dir)) {
        const slugs = (await listBenchmarks(root)).map((k) => k.slug);
        throw errors.badRequest(
          `unknown benchmark ${JSON.stringify(b.benchmark)}; known: ${slugs.join(', ') || '(none)'}`,
          { benchmark: b.benchmark, known: slugs },
        );
      }
      let def: Awaited<ReturnType<typeof loadBenchmark>>;
      try {
        def = await loadBenchmark(dir, root);
      } catch (err) {
        if (err instanceof BenchmarkError) {
          const list = publicProblems(err.problems, dir, b.benchmark);
          throw errors.badRequest(
            `benchmark ${b.benchmark} cannot be run: ${list.map(formatProblem).join('; ')}`,
            { problems: list },
          );
        }
        throw err;
      }

      // semantic scorers embed through the workspace's registry: every model they name must be registered
      const embedRefs = semanticModels(def.scorer);
      let embed: ReturnType<typeof embeddingsFromRegistry> | undefined;
      if (embedRefs.length > 0) {
        if (!registry) throw errors.badRequest(`benchmark ${def.slug} needs the model registry (embeddings)`);
        for (const ref of embedRefs) {
          if (!(await registry.byName(ref.model))?.active)
            throw errors.badRequest(
              `benchmark ${def.slug} is scored by semantic similarity with "${ref.model}": register that embeddings model (POST /models)`,
              { model: ref.model },
            );
        }
        embed = embeddingsFromRegistry(registry, { timeoutMs: b.deadline_ms });
      }

      // a stored prompt version (prompts/): resolved now, so a missing one is a 404 before anything runs
      const prompt =
        b.prompt === undefined ? undefined : await resolvePromptRef(runPromptStore(store, req), b.prompt);
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
      if (queue) {
        let planned: ReturnType<typeof planFromBenchmark>;
        try {
          planned = planFromBenchmark(def, model, {
            ...selection,
            label,
            concurrency: b.concurrency,
            prompt,
          });
        } catch (err) {
          throw errors.badRequest((err as Error).message);
        }
        const concurrency = Math.min(planned.concurrency, policy.maxConcurrency);
        const spec: QueuedRunSpec = {
          benchmark: def.slug,
          model: b.model,
          ...(b.base_url !== undefined ? { base_url: b.base_url } : {}),
          ...(b.api_key_env !== undefined ? { api_key_env: b.api_key_env } : {}),
          label,
          limit: selection.limit,
          sample_seed: selection.sampleSeed,
          samples: selection.samples,
          concurrency,
          write_behind: Math.min(planned.writeBehind, concurrency),
          ...(b.rpm !== undefined ? { rpm: b.rpm } : {}),
          ...(b.tpm !== undefined ? { tpm: b.tpm } : {}),
          ...(b.deadline_ms !== undefined ? { deadline_ms: b.deadline_ms } : {}),
          ...(prompt ? { prompt } : {}),
          request_id: req.id,
        };
        try {
          const out = await enqueueRun(
            {
              store: queue.store,
              queue: queue.q,
              files: { models: ctx.files?.models ?? 'models.yaml', benchmarks: root },
              env,
              onQueued: dataAudit(store, req).hook<RunInfo>('run.create', (run) => `run:${run.id}`, {
                after: { benchmark: def.slug, model: model.name, label, queued: true },
              }),
            },
            spec,
            { plan: { ...planned, concurrency }, provider, model, def },
          );
          if (out.deferred) req.log.warn(`run #${out.run.id} queued in MySQL only: ${out.deferred}`);
          else req.log.info(`run #${out.run.id} queued: ${out.total} item×samples in ${out.chunks} chunk(s)`);
          return reply
            .code(202)
            .send({ id: out.run.id, label, status: out.run.status, url: `/runs/${out.run.id}` });
        } catch (err) {
          if (err instanceof RunConfigMismatchError) throw errors.conflict(err.message);
          throw err;
        }
      }
      const existing = await store.findRun(def.slug, model.name, label);
      if (existing && active.has(existing.id)) {
        throw errors.conflict(`run #${existing.id} "${label}" is already running`, { id: existing.id });
      }
      const running = allActive().length;
      if (running >= policy.maxActive) {
        throw errors.unavailable(
          `this server already runs ${running} run(s), its cap (RUN_MAX_ACTIVE); wait for one to end or cancel one (POST /runs/{id}/cancel)`,
        );
      }
      let plan: ReturnType<typeof planFromBenchmark>;
      try {
        plan = planFromBenchmark(def, model, {
          ...selection,
          label,
          judge,
          embed,
          concurrency: b.concurrency,
          rpm: b.rpm,
          tpm: b.tpm,
          deadlineMs: b.deadline_ms,
          prompt,
        });
      } catch (err) {
        throw errors.badRequest((err as Error).message);
      }
      // A default concurrency above the cap is lowered to it, not refused.
      plan = { ...plan, concurrency: Math.min(plan.concurrency, policy.maxConcurrency) };
      plan = { ...plan, writeBehind: Math.min(plan.writeBehind, plan.concurrency) };

      const controller = new AbortController();
      const entry: Active = {
        controller,
        progress: null,
        done: Promise.resolve(),
        listeners: new Set(),
        ended: Promise.resolve(),
      };
      let started!: (id: number) => void;
      const startedP = new Promise<number>((res) => {
        started = res;
      });
      let runId = 0;
      const run = runBenchmark(plan, {
        store,
        provider,
        signal: controller.signal,
        logger: { info: (m) => req.log.info(m), warn: (m) => req.log.warn(m) },
        // the run's row (new, or the one resumed) and its entry commit together
        onRunCreated: dataAudit(store, req).hook('run.create', (r: RunInfo) => `run:${r.id}`, {
          after: { benchmark: def.slug, model: model.name, label, resumed: b.resume !== undefined },
        }),
        onStopped: () => entry.stop,
        onStart: ({ id }) => {
          runId = id;
          active.set(id, entry);
          started(id);
        },
        // onStart comes before the first result: the id is known by then
        onResult: metrics && ((r) => countRunResult(metrics, runId, r)),
        onProgress: (p) => {
          entry.progress = p;
          for (const f of entry.listeners) f();
        },
      });
      entry.ended = run;
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
      const id = first ?? (await store.findRun(def.slug, model.name, label))?.id ?? 0;
      return reply.code(202).send({ id, label, status: 'running', url: `/runs/${id}` });
    },
  );

  r.get(
    '/runs',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Runs, newest first, with status and progress counts; filters by benchmark, model, status',
        querystring: ListQuery,
        response: {
          200: z.object({
            runs: z.array(RunViewSchema),
            total: z.number(),
            limit: z.number(),
            offset: z.number(),
          }),
          ...problems(400, 404, 409),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const { store, view } = await at(req);
      const all = filterRuns(await store.listRuns(), q);
      return {
        runs: all.slice(q.offset, q.offset + q.limit).map(view),
        total: all.length,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  r.get(
    '/runs/:id',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'A run: status, progress counts, accuracy so far, and the reason it stopped',
        params: RunId,
        response: { 200: RunDetail, ...problems(400, 404, 409) },
      },
    },
    async (req) => {
      const { mustGet, view } = await at(req);
      const run = await mustGet(req.params.id);
      return { ...view(run), config: run.config };
    },
  );

  r.get(
    '/runs/:id/events',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          "A run's progress as server-sent events (text/event-stream): `progress` with the run's view at once and on each change (at most every 250 ms), `end` with its stored view once it stopped (at once if it is not running here), then the stream ends; heartbeat comments meanwhile",
        params: RunId,
        // the success is a stream, not JSON (errors stay JSON: the OpenAPI document lists both types)
        produces: ['text/event-stream', 'application/json'],
        response: {
          200: z
            .string()
            .describe(
              'events `progress` and `end`, each with a data line holding the JSON view GET /runs answers for the run',
            ),
          ...problems(400, 404),
        },
      },
    },
    async (req, reply) => {
      const id = req.params.id;
      const { mustGet, view, active, inQueue, pollFollow } = await at(req);
      const run = await mustGet(id);
      const here = active.get(id);
      // a run of this server's runner tells its listeners; a queued one (any worker) is polled in the store
      const live = here
        ? {
            subscribe: (f: () => void) => {
              here.listeners.add(f);
              return () => here.listeners.delete(f);
            },
            done: here.done,
          }
        : inQueue(run)
          ? pollFollow(id)
          : null;
      return sendRunEvents(
        reply,
        { view: async () => view(await mustGet(id)), live },
        ctx.events ?? EVENT_TIMING,
      );
    },
  );

  r.post(
    '/runs/:id/cancel',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Stops a run this server is running: requests in flight finish (up to the grace period), then the run is paused (resume it with resume: id); answers once it has stopped',
        params: RunId,
        response: { 200: RunViewSchema, ...problems(400, 404, 409) },
      },
    },
    async (req) => {
      const id = req.params.id;
      const { store, mustGet, view, active, queue, inQueue } = await at(req);
      const run = await mustGet(id);
      const live = active.get(id);
      // the run stops in the runner's or the workers' write: its entry commits with it
      if (live) {
        live.stop = dataAudit(store, req).hook('run.stop', `run:${id}`, (status: RunStatus) => ({
          before: { status: run.status },
          after: { status },
        }));
        live.controller.abort(
          new AbortReason('shutdown', `cancelled through the API (POST /runs/${id}/cancel)`),
        );
        await live.done;
        await live.ended; // the error the runner's last write failed with (its entry could not be written)
        return view(await mustGet(id));
      }
      if (queue && inQueue(run)) {
        // the workers see it within a couple of seconds: chunks in flight stop, waiting ones are skipped;
        // the status and its entry commit together
        const audit = dataAudit(store, req).hook('run.stop', `run:${id}`, {
          before: { status: run.status },
          after: { status: 'paused' },
        });
        await queue.store.kysely.transaction().execute(async (trx) => {
          const paused = await updateQueuedRun(trx, id, {
            status: 'paused',
            statusReason: `cancelled through the API (POST /runs/${id}/cancel); resume it with resume: ${id}`,
          });
          if (paused) await audit?.(trx, undefined);
        });
        return view(await mustGet(id));
      }
      const stopAudit = dataAudit(store, req).hook('run.stop', `run:${id}`, {
        before: { status: run.status },
        after: { status: 'paused' },
      });
      if (!(await pauseAbandoned(store, run, 'through the API', stopAudit))) {
        throw errors.conflict(
          `run #${id} is running in another process (updated ${Math.round(idleMs(run) / 1000)} s ago); stop it there (Ctrl-C)`,
          { id },
        );
      }
      // already stopped: cancelling again changes nothing (and is not audited)
      return view(await mustGet(id));
    },
  );

  r.delete(
    '/runs/:id',
    {
      config: { permission: 'admin' },
      schema: {
        summary: 'Deletes a stopped run and all its results (409 while it runs: cancel it first)',
        params: RunId,
        response: {
          200: z.object({
            deleted: z.object({
              id: z.number(),
              benchmark: z.string(),
              model: z.string(),
              label: z.string(),
            }),
          }),
          ...problems(400, 404, 409),
        },
      },
    },
    async (req) => {
      const { store, mustGet, assertStopped } = await at(req);
      const run = await mustGet(req.params.id);
      assertStopped(run);
      await store.deleteRun(
        run.id,
        dataAudit(store, req).hook('run.delete', `run:${run.id}`, { before: run }),
      );
      return { deleted: { id: run.id, benchmark: run.benchmark, model: run.model, label: run.label } };
    },
  );

  r.delete(
    '/benchmarks/:benchmark/data',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          "Deletes every run of a benchmark and their results (409 if one is running); the benchmark's definition and catalog stay",
        params: z.strictObject({ benchmark: z.string().min(1).max(191) }),
        response: {
          200: z.object({ benchmark: z.string(), runs_deleted: z.number(), run_ids: z.array(z.number()) }),
          ...problems(400, 404, 409),
        },
      },
    },
    async (req) => {
      const { benchmark } = req.params;
      const { store, assertStopped } = await at(req);
      const runs = await store.listRuns();
      const mine = runs.filter((run) => run.benchmark === benchmark);
      if (mine.length === 0) {
        const withData = [...new Set(runs.map((run) => run.benchmark))].sort();
        throw errors.notFound('benchmark with runs', benchmark, withData);
      }
      // Refuse before deleting anything: either all of the benchmark's runs go, or none.
      for (const run of mine) assertStopped(run);
      const audit = dataAudit(store, req);
      for (const run of mine)
        await store.deleteRun(run.id, audit.hook('run.delete', `run:${run.id}`, { before: run }));
      return { benchmark, runs_deleted: mine.length, run_ids: mine.map((run) => run.id) };
    },
  );
}
