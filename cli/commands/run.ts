import { randomBytes } from 'node:crypto';
import { accountDb } from '../../accounts/account-db.ts';
import type { Config } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';
import type { RecordStore, RunInfo } from '../../core/store.ts';
import { loadBenchmark } from '../../ingest/benchmarks/load.ts';
import { TemplateError } from '../../ingest/benchmarks/render.ts';
import { BenchmarkError, formatProblem } from '../../ingest/benchmarks/types.ts';
import { loadModels, type ModelDef, ModelsFileError } from '../../ingest/providers/models.ts';
import { createProvider, type Env, ModelSetupError, resolveModel } from '../../ingest/providers/registry.ts';
import { assertQueueMode } from '../../ingest/queue/open.ts';
import type { QueuedRunSpec } from '../../ingest/queue/spec.ts';
import { planFromBenchmark, type RunOptions } from '../../ingest/runner/from-benchmark.ts';
import { PLAN_DEFAULTS } from '../../ingest/runner/plan.ts';
import { formatSummary, progressPrinter } from '../../ingest/runner/progress.ts';
import { RunConfigMismatchError, runBenchmark } from '../../ingest/runner/run-benchmark.ts';
import { embeddingsForScorer } from '../../ingest/scorers/embeddings.ts';
import { PromptStore } from '../../prompts/prompt-store.ts';
import { resolvePromptRef } from '../../prompts/reference.ts';
import type { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { openRecordStore } from '../../store/open.ts';
import { cliDataAudit } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { benchmarkRef, runThroughQueue } from '../queue-run.ts';
import { assertDefaultWorkspaceLocally, runningServer, useRemoteIdentity } from '../remote.ts';
import { exitCodeFor, runThroughServer } from '../remote-run.ts';

const usage = `usage: evalhouse run --benchmark <slug|folder> --model <name|provider:model-id>
                     [--base-url URL] [--api-key-env VAR] [--models-file models.yaml]
                     [--limit N] [--sample-seed S] [--samples N]
                     [--concurrency C] [--rpm R] [--tpm T] [--deadline-ms MS] [--stall-ms MS] [--max-attempts N] [--write-behind N]
                     [--run-id LABEL | --resume <run id|label>] [--judge-model NAME] [--detach] [--queue]
                     [--prompt NAME[@VERSION|@LABEL]]

Asks every item of the benchmark (or --limit N of them; with --sample-seed S a deterministic subset)
of the model, --samples N times each, scores the answers and appends the results to the store.
--model is a name from models.yaml (see \`evalhouse models\`) or ad hoc: openai:<id>, anthropic:<id>,
openai-compatible:<id> --base-url http://host:port/v1 [--api-key-env VAR].
--run-id names the run: the same command again resumes it (items stored are skipped, errors asked
again). --resume takes a run id or label. A run's prompt, parameters, limit, seed and samples are
fixed at creation; a resume with other ones is refused. Ctrl-C stops cleanly (a second one quits).
--write-behind N (default: the concurrency) lets N answers wait for the store while new requests go
out; a crash loses at most concurrency + N answers. 0 holds each request slot until its row is stored.
While a server holds the DuckDB file the run goes through it: Ctrl-C cancels it there (paused, as
locally); --detach leaves it running in the server and prints its id (see \`evalhouse runs\`).
A base URL where nothing answers stops the run at once; a run whose every item failed is failed.
--queue (REDIS_URL and MYSQL_URL set) enqueues the run in chunks for \`evalhouse worker\` processes instead
of running it here, and follows its progress (Ctrl-C stops following, the run goes on; --detach prints
its id at once). --resume takes the run's label or id there too.
--prompt runs a stored prompt version (\`POST /prompts\`) instead of the benchmark's template: NAME@3 its
version 3, NAME@staging the version its label points at, NAME alone its production label (else its newest
version); the items' variables fill its slots (a slot the items lack is refused before anything runs),
and the run records the prompt's name, version and label.
Exit code: 0 completed, 1 failed, 3 paused.
Through a server: --workspace SLUG acts in that workspace (x-evalhouse-workspace), and EVALHOUSE_API_KEY
is sent as Authorization: Bearer. Without a server, only the default workspace.`;

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${v}")`);
  return n;
}

const label_ = () => {
  const d = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${d}-${randomBytes(2).toString('hex')}`;
};

/** The stored prompt version a --prompt names, read from the default workspace's database. */
async function storedPrompt(config: Config, ref: string): Promise<RunOptions['prompt']> {
  const store = await openRecordStore(config);
  try {
    return await resolvePromptRef(new PromptStore(accountDb(store as DuckDbStore | MysqlStore), null), ref);
  } finally {
    await store.close();
  }
}

async function findResumed(
  store: RecordStore,
  ref: string,
  benchmark: string,
  model: string,
): Promise<RunInfo> {
  const run = /^\d+$/.test(ref)
    ? await store.getRun(Number(ref))
    : await store.findRun(benchmark, model, ref);
  if (!run) throw new UsageError(`no run "${ref}" of ${benchmark} × ${model} to resume`);
  if (run.benchmark !== benchmark || run.model !== model) {
    throw new UsageError(`run #${run.id} is ${run.benchmark} × ${run.model}, not ${benchmark} × ${model}`);
  }
  return run;
}

export async function runCommand(args: string[], config: Config, env: Env): Promise<number> {
  const argv = useRemoteIdentity(args, config);
  const { values: v } = parseCommandArgs(
    argv,
    {
      benchmark: { type: 'string' },
      model: { type: 'string' },
      'base-url': { type: 'string' },
      'api-key-env': { type: 'string' },
      'models-file': { type: 'string', default: 'models.yaml' },
      limit: { type: 'string' },
      'sample-seed': { type: 'string' },
      samples: { type: 'string' },
      concurrency: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'deadline-ms': { type: 'string' },
      'stall-ms': { type: 'string' },
      'max-attempts': { type: 'string' },
      'write-behind': { type: 'string' },
      'run-id': { type: 'string' },
      resume: { type: 'string' },
      'judge-model': { type: 'string' },
      detach: { type: 'boolean' },
      queue: { type: 'boolean' },
      prompt: { type: 'string' },
    },
    false,
  );
  if (!v.benchmark) throw new UsageError('--benchmark is required');
  if (!v.model) throw new UsageError('--model is required');
  if (v.resume && v['run-id']) throw new UsageError('give --run-id or --resume, not both');
  if (v.queue) {
    assertDefaultWorkspaceLocally();
    return queueRun(v, config);
  }
  // Embedded mode with a server running: only the server may open the DuckDB file.
  const server = await runningServer(config);
  if (server) return runThroughServer(server, v);
  assertDefaultWorkspaceLocally();
  if (v.detach) throw new UsageError('--detach leaves a run to a server; no server is running');
  const opts: Omit<RunOptions, 'label'> = {
    limit: int('limit', v.limit, 1),
    sampleSeed: int('sample-seed', v['sample-seed'], 0),
    samples: int('samples', v.samples, 1),
    concurrency: int('concurrency', v.concurrency, 1),
    rpm: int('rpm', v.rpm, 1),
    tpm: int('tpm', v.tpm, 1),
    deadlineMs: int('deadline-ms', v['deadline-ms'], 1),
    stallMs: int('stall-ms', v['stall-ms'], 1),
    maxAttempts: int('max-attempts', v['max-attempts'], 1),
    writeBehind: int('write-behind', v['write-behind'], 0),
  };

  // Everything that can be wrong with the model or the benchmark is reported before anything is asked.
  let plan: ReturnType<typeof planFromBenchmark>;
  let provider: Awaited<ReturnType<typeof createProvider>>;
  let def: Awaited<ReturnType<typeof loadBenchmark>>;
  let model: ModelDef;
  let judge: RunOptions['judge'];
  let embed: RunOptions['embed'];
  try {
    const models = await loadModels(v['models-file']);
    model = resolveModel(v.model, models, { baseUrl: v['base-url'], apiKeyEnv: v['api-key-env'] });
    provider = await createProvider(model, env);
    if (v['judge-model']) {
      judge = {
        name: v['judge-model'],
        provider: await createProvider(resolveModel(v['judge-model'], models), env),
      };
    }
    def = await loadBenchmark(v.benchmark);
    embed = embeddingsForScorer(def.scorer, models, env, {
      timeoutMs: opts.deadlineMs ?? PLAN_DEFAULTS.deadlineMs,
    });
    if (v.prompt) opts.prompt = await storedPrompt(config, v.prompt);
    plan = planFromBenchmark(def, model, { ...opts, label: 'pending', judge, embed });
  } catch (err) {
    if (err instanceof AppError || err instanceof TemplateError) {
      console.error(`evalhouse run: ${err.message}`);
      return 2;
    }
    if (err instanceof BenchmarkError) {
      console.error(
        `evalhouse run: benchmark ${v.benchmark} is not valid:\n${err.problems.map(formatProblem).join('\n')}`,
      );
      return 2;
    }
    if (err instanceof ModelSetupError || err instanceof ModelsFileError) {
      console.error(`evalhouse run: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const store = await openRecordStore(config); // a running server was ruled out above
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) {
      console.error('\nsecond Ctrl-C: quitting now; stored results are safe, requests in flight are lost');
      process.exit(130);
    }
    console.error('\nCtrl-C: finishing requests in flight (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    let runLabel = v['run-id'] ?? label_();
    if (v.resume) {
      const run = await findResumed(store, v.resume, def.slug, model.name);
      runLabel = run.label;
      // Selection settings not repeated on the command line are the run's own.
      const c = (run.config ?? {}) as {
        limit?: number | null;
        sample_seed?: number | null;
        samples?: number;
      };
      plan = planFromBenchmark(def, model, {
        ...opts,
        limit: opts.limit ?? c.limit ?? null,
        sampleSeed: opts.sampleSeed ?? c.sample_seed ?? null,
        samples: opts.samples ?? c.samples ?? 1,
        label: runLabel,
        judge,
        embed,
      });
    } else {
      plan = { ...plan, label: runLabel };
    }
    const stderr = process.stderr;
    const audit = await cliDataAudit(store, config);
    let runId = 0;
    const out = await runBenchmark(plan, {
      store,
      provider,
      signal: ac.signal,
      // the entries a run through the API writes: the run's row and its entry commit together, and a
      // Ctrl-C's pause with its status (a run that ends by itself writes none, as there)
      onRunCreated: audit.hook('run.create', (r: RunInfo) => `run:${r.id}`, {
        after: { benchmark: def.slug, model: model.name, label: runLabel, resumed: v.resume !== undefined },
      }),
      onStopped: () =>
        ac.signal.aborted
          ? audit.hook('run.stop', `run:${runId}`, (status: RunInfo['status']) => ({
              before: { status: 'running' },
              after: { status },
            }))
          : undefined,
      logger: { info: (m) => stderr.write(`${m}\n`), warn: (m) => stderr.write(`\n${m}\n`) },
      onProgress: progressPrinter(stderr),
      onStart: (r) => {
        runId = r.id;
        stderr.write(
          `run #${r.id} "${r.label}": ${plan.items.length * plan.config.samples} item×samples of ${def.slug} against ${model.name}\n`,
        );
      },
    });
    console.log(formatSummary(out.summary, out.status, out.reason));
    if (out.status !== 'completed' || out.summary.errors > 0) {
      const cmd = ['evalhouse run', `--benchmark ${v.benchmark}`, `--model ${v.model}`];
      if (v['base-url']) cmd.push(`--base-url ${v['base-url']}`);
      if (v['api-key-env']) cmd.push(`--api-key-env ${v['api-key-env']}`);
      cmd.push(`--resume ${out.runId}`);
      console.log(`resume with: ${cmd.join(' ')}`);
    }
    return exitCodeFor(out.status);
  } catch (err) {
    if (err instanceof RunConfigMismatchError) {
      console.error(`evalhouse run: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await store.close();
  }
}

/** `run --queue`: the same options as a queued run's spec; a resume takes the run's label and selection. */
async function queueRun(v: Record<string, string | boolean | undefined>, config: Config): Promise<number> {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  assertQueueMode(config, 'evalhouse run --queue');
  const benchmark = benchmarkRef(s('benchmark')!);
  let label = s('run-id') ?? label_();
  let selection = {
    limit: int('limit', s('limit'), 1) ?? null,
    sample_seed: int('sample-seed', s('sample-seed'), 0) ?? null,
    samples: int('samples', s('samples'), 1) ?? 1,
  };
  const ref = s('resume');
  if (ref) {
    const { openRecordStore: open } = await import('../../store/open.ts');
    const store = await open(config);
    try {
      const run = /^\d+$/.test(ref)
        ? await store.getRun(Number(ref))
        : ((await store.listRuns()).find((r) => r.label === ref) ?? null);
      if (!run) throw new UsageError(`no run "${ref}" to resume`);
      label = run.label;
      const c = (run.config ?? {}) as {
        limit?: number | null;
        sample_seed?: number | null;
        samples?: number;
      };
      selection = {
        limit: int('limit', s('limit'), 1) ?? c.limit ?? null,
        sample_seed: int('sample-seed', s('sample-seed'), 0) ?? c.sample_seed ?? null,
        samples: int('samples', s('samples'), 1) ?? c.samples ?? 1,
      };
    } finally {
      await store.close();
    }
  }
  const opt = (k: string, min: number) => int(k, s(k), min);
  const spec: QueuedRunSpec = {
    benchmark,
    model: s('model')!,
    ...(s('base-url') ? { base_url: s('base-url') } : {}),
    ...(s('api-key-env') ? { api_key_env: s('api-key-env') } : {}),
    ...(s('judge-model') ? { judge_model: s('judge-model') } : {}),
    label,
    ...selection,
    ...defined({
      concurrency: opt('concurrency', 1),
      rpm: opt('rpm', 1),
      tpm: opt('tpm', 1),
      deadline_ms: opt('deadline-ms', 1),
      stall_ms: opt('stall-ms', 1),
      max_attempts: opt('max-attempts', 1),
      write_behind: opt('write-behind', 0),
      // carried whole in the queued spec: the workers render it without reading the prompt tables
      prompt: s('prompt') ? await storedPrompt(config, s('prompt')!) : undefined,
    }),
  };
  return runThroughQueue(config, spec, {
    modelsFile: s('models-file') ?? 'models.yaml',
    detach: v.detach === true,
  });
}

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;

export const command: Command = {
  name: 'run',
  summary: 'run a benchmark against a model (resumable)',
  usage,
  // The CLI edge: API keys are read from the environment here and passed down; nothing below reads it.
  run: (argv, config) => runCommand(argv, config, config.env),
};
