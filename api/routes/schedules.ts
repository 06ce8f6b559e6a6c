import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { DEFAULT_BENCHMARKS_ROOT } from '../../ingest/benchmarks/load.ts';
import { BenchmarkError, formatProblem } from '../../ingest/benchmarks/types.ts';
import { ModelsFileError } from '../../ingest/providers/models.ts';
import { ModelSetupError } from '../../ingest/providers/registry.ts';
import { schedulerId } from '../../ingest/queue/queue.ts';
import {
  createSchedule,
  listSchedules,
  removeSchedule,
  ScheduleCronError,
  type ScheduleSpec,
} from '../../ingest/queue/schedules.ts';
import type { ScheduleRow } from '../../store/mysql/queue-tables.ts';
import type { AppContext } from '../context.ts';
import { dataAudit } from '../data-audit.ts';
import type { RunsContext } from './runs.ts';
import { RUN_OPTIONS, RUN_TARGET } from './runs.ts';
import { problems } from './schemas.ts';

/**
 * A schedule names a model of models.yaml or an ad hoc provider:model-id with its default URL: no base URL
 * or key variable of the caller's choosing runs unattended on the server's keys.
 */
const NewSchedule = z.strictObject({
  ...RUN_TARGET,
  cron: z
    .string()
    .min(1)
    .max(191)
    .describe('five fields (minute first) or six (seconds first), UTC: "0 3 * * *" is 03:00 every day'),
  ...RUN_OPTIONS,
});

const ScheduleView = z.object({
  id: z.number(),
  benchmark: z.string(),
  model: z.string(),
  cron: z.string(),
  options: z.record(z.string(), z.unknown()).describe('the run options each firing uses'),
  created_at: z.string(),
  next_run_at: z.string().nullable().describe('when the job scheduler fires next (null: not in Redis now)'),
});

type ScheduleContext = Pick<AppContext, 'config' | 'queue' | 'mysql'> & Pick<RunsContext, 'files'>;

const Id = z.strictObject({ id: z.coerce.number().int().min(1) });

/**
 * POST /schedules, GET /schedules, DELETE /schedules/{id}: runs started by BullMQ job schedulers (queue
 * mode). Schedules live in MySQL; the reconciler re-creates their schedulers after Redis lost them.
 */
export async function schedulesRoutes(
  app: FastifyInstance,
  {
    ctx,
    scope,
  }: {
    ctx: ScheduleContext;
    scope?: (req: FastifyRequest) => Promise<ScheduleContext>;
  },
) {
  const policy = ctx.config.runs;
  /** The request's workspace's queue handle and store (its schedules are in its database). */
  const mode = async (req: FastifyRequest) => {
    const w = scope ? await scope(req) : ctx;
    if (!w.queue || !w.mysql) {
      throw errors.unavailable(
        'schedules need queue mode: start the server with REDIS_URL and MYSQL_URL set',
      );
    }
    return { store: w.mysql, queue: w.queue };
  };
  const nextRuns = async (q: NonNullable<AppContext['queue']>) =>
    new Map((await q.queue.getJobSchedulers(0, -1)).map((s) => [s.key, s.next ?? null]));
  const viewOf = (s: ScheduleRow, q: NonNullable<AppContext['queue']>, next: Map<string, number | null>) => {
    const at = next.get(schedulerId(s.id, q.workspace));
    return {
      id: s.id,
      benchmark: s.benchmark,
      model: s.model,
      cron: s.cron,
      options: (s.spec ?? {}) as Record<string, unknown>,
      created_at: s.createdAt,
      next_run_at: at ? new Date(at).toISOString() : null,
    };
  };
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/schedules',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Schedule runs of a benchmark against a model on a cron expression (queue mode); 201 with the schedule',
        body: NewSchedule,
        response: { 201: ScheduleView, ...problems(400, 503) },
      },
    },
    async (req, reply) => {
      const m = await mode(req);
      const b = req.body;
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
      const spec: ScheduleSpec = {
        benchmark: b.benchmark,
        model: b.model,
        limit: b.limit ?? null,
        sample_seed: b.sample_seed ?? null,
        samples: b.samples ?? 1,
        concurrency: Math.min(b.concurrency ?? 8, policy.maxConcurrency),
        ...(b.rpm !== undefined ? { rpm: b.rpm } : {}),
        ...(b.tpm !== undefined ? { tpm: b.tpm } : {}),
      };
      try {
        const s = await createSchedule(
          {
            ...m,
            files: {
              models: ctx.files?.models ?? 'models.yaml',
              benchmarks: ctx.files?.benchmarks ?? DEFAULT_BENCHMARKS_ROOT,
            },
            env: ctx.config.env,
          },
          { cron: b.cron, spec },
          dataAudit(m.store, req).hook<ScheduleRow>(
            'schedule.create',
            (s) => `schedule:${s.id}`,
            (s) => ({ after: { benchmark: s.benchmark, model: s.model, cron: s.cron, options: s.spec } }),
          ),
        );
        return reply.code(201).send(viewOf(s, m.queue, await nextRuns(m.queue)));
      } catch (err) {
        if (err instanceof BenchmarkError) {
          throw errors.badRequest(
            `benchmark ${b.benchmark} cannot be run: ${err.problems.map(formatProblem).join('; ')}`,
          );
        }
        if (
          err instanceof ModelSetupError ||
          err instanceof ModelsFileError ||
          err instanceof ScheduleCronError
        ) {
          throw errors.badRequest(err.message);
        }
        throw err;
      }
    },
  );

  r.get(
    '/schedules',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Scheduled runs (queue mode), oldest first, with when each fires next',
        response: { 200: z.object({ schedules: z.array(ScheduleView) }), ...problems(503) },
      },
    },
    async (req) => {
      const m = await mode(req);
      const next = await nextRuns(m.queue);
      return { schedules: (await listSchedules(m.store.kysely)).map((s) => viewOf(s, m.queue, next)) };
    },
  );

  r.delete(
    '/schedules/:id',
    {
      config: { permission: 'admin' },
      schema: {
        summary: 'Removes a schedule and its job scheduler; the runs it started stay',
        params: Id,
        response: { 200: z.object({ deleted: z.object({ id: z.number() }) }), ...problems(400, 404, 503) },
      },
    },
    async (req) => {
      const m = await mode(req);
      const audit = dataAudit(m.store, req).hook<ScheduleRow>(
        'schedule.delete',
        `schedule:${req.params.id}`,
        (s) => ({ before: { benchmark: s.benchmark, model: s.model, cron: s.cron, options: s.spec } }),
      );
      if (!(await removeSchedule(m, req.params.id, audit)))
        throw errors.notFound('schedule', String(req.params.id));
      return { deleted: { id: req.params.id } };
    },
  );
}
