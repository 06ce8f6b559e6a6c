import { BenchmarkError, formatProblem } from '../../ingest/benchmarks/types.ts';
import { ModelsFileError } from '../../ingest/providers/models.ts';
import { ModelSetupError } from '../../ingest/providers/registry.ts';
import { openQueueMode } from '../../ingest/queue/open.ts';
import {
  createSchedule,
  listSchedules,
  removeSchedule,
  ScheduleCronError,
} from '../../ingest/queue/schedules.ts';
import { DEFAULT_SPEC_FILES } from '../../ingest/queue/spec.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { benchmarkRef } from '../queue-run.ts';

const usage = `usage: evalhouse schedule add --benchmark <slug> --model <name|provider:model-id> --cron "<expr>"
                          [--base-url URL] [--api-key-env VAR] [--models-file models.yaml]
                          [--limit N] [--sample-seed S] [--samples N] [--concurrency C] [--rpm R] [--tpm T]
       evalhouse schedule list [--json]
       evalhouse schedule remove <id>

Scheduled runs (queue mode: REDIS_URL and MYSQL_URL): each time the cron expression fires, a worker starts
a new run of the benchmark against the model, labelled schedule-<id>-<time>, so the model's scores can be
followed over time (GET /trends). Five cron fields (minute first) or six (seconds first), in UTC:
"0 3 * * *" is 03:00 every day. Schedules live in MySQL; their BullMQ job schedulers are re-created from
there when Redis lost them. Removing a schedule keeps the runs it started.`;

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min} (got "${v}")`);
  return n;
}

export const command: Command = {
  name: 'schedule',
  summary: 'scheduled runs: add, list, remove (queue mode)',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub !== 'add' && sub !== 'list' && sub !== 'remove') {
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'add, list or remove?');
    }
    if (sub === 'list') {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } }, false);
      const mode = await openQueueMode(config, 'evalhouse schedule');
      try {
        const all = await listSchedules(mode.store.kysely);
        if (values.json) console.log(JSON.stringify(all, null, 2));
        else if (all.length === 0) console.log('no schedules (evalhouse schedule add ...)');
        else for (const s of all) console.log(`#${s.id}  ${s.cron.padEnd(16)} ${s.benchmark} × ${s.model}`);
        return 0;
      } finally {
        await mode.close();
      }
    }
    if (sub === 'remove') {
      const { positionals } = parseCommandArgs(rest, {}, true);
      const id = int('id', positionals[0], 1);
      if (id === undefined || positionals.length !== 1) throw new UsageError('remove takes one schedule id');
      const mode = await openQueueMode(config, 'evalhouse schedule');
      try {
        if (!(await removeSchedule(mode, id))) {
          console.error(`evalhouse schedule: no schedule #${id}`);
          return 1;
        }
        console.log(`schedule #${id} removed (its runs stay)`);
        return 0;
      } finally {
        await mode.close();
      }
    }
    const { values: v } = parseCommandArgs(
      rest,
      {
        benchmark: { type: 'string' },
        model: { type: 'string' },
        cron: { type: 'string' },
        'base-url': { type: 'string' },
        'api-key-env': { type: 'string' },
        'models-file': { type: 'string', default: 'models.yaml' },
        limit: { type: 'string' },
        'sample-seed': { type: 'string' },
        samples: { type: 'string' },
        concurrency: { type: 'string' },
        rpm: { type: 'string' },
        tpm: { type: 'string' },
      },
      false,
    );
    if (!v.benchmark || !v.model || !v.cron)
      throw new UsageError('--benchmark, --model and --cron are required');
    const mode = await openQueueMode(config, 'evalhouse schedule');
    try {
      const spec = {
        benchmark: benchmarkRef(v.benchmark),
        model: v.model,
        ...(v['base-url'] ? { base_url: v['base-url'] } : {}),
        ...(v['api-key-env'] ? { api_key_env: v['api-key-env'] } : {}),
        limit: int('limit', v.limit, 1) ?? null,
        sample_seed: int('sample-seed', v['sample-seed'], 0) ?? null,
        samples: int('samples', v.samples, 1) ?? 1,
        ...Object.fromEntries(
          (
            [
              ['concurrency', int('concurrency', v.concurrency, 1)],
              ['rpm', int('rpm', v.rpm, 1)],
              ['tpm', int('tpm', v.tpm, 1)],
            ] as const
          ).filter(([, x]) => x !== undefined),
        ),
      };
      const s = await createSchedule(
        { ...mode, files: { ...DEFAULT_SPEC_FILES, models: v['models-file'] }, env: config.env },
        { cron: v.cron, spec },
      );
      console.log(`schedule #${s.id}: ${s.benchmark} × ${s.model} at "${s.cron}"`);
      return 0;
    } catch (err) {
      if (err instanceof BenchmarkError) {
        console.error(
          `evalhouse schedule: benchmark ${v.benchmark} is not valid:\n${err.problems.map(formatProblem).join('\n')}`,
        );
        return 2;
      }
      if (
        err instanceof ModelSetupError ||
        err instanceof ModelsFileError ||
        err instanceof ScheduleCronError
      ) {
        console.error(`evalhouse schedule: ${err.message}`);
        return 2;
      }
      throw err;
    } finally {
      await mode.close();
    }
  },
};
