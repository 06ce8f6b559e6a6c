import type { CommitHook } from '../../core/store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import {
  deleteSchedule,
  getSchedule,
  insertSchedule,
  listSchedules,
  type ScheduleRow,
} from '../../store/mysql/queue-tables.ts';
import type { Env } from '../providers/registry.ts';
import type { RunQueue } from './queue.ts';
import { isSchedulerOf, schedulerId } from './queue.ts';
import { planForSpec, type QueuedRunSpec, QueuedRunSpecSchema, type SpecFiles } from './spec.ts';

/** A schedule's run options: a queued run's spec without its label (each firing gets its own). */
export type ScheduleSpec = Omit<QueuedRunSpec, 'label'>;

/** A cron expression BullMQ's job scheduler refused (the message says why). */
export class ScheduleCronError extends Error {}

/** The run a firing at `at` starts: labelled by the schedule and the firing time, so a firing handled twice is one run. */
export function scheduledSpec(s: ScheduleRow, at: Date): QueuedRunSpec {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return QueuedRunSpecSchema.parse({ ...(s.spec as object), label: `schedule-${s.id}-${stamp}` });
}

export interface ScheduleDeps {
  store: MysqlStore;
  queue: RunQueue;
  files: SpecFiles;
  env: Env;
}

/** A schedule's job scheduler, in the queue's workspace (a firing carries it to the worker). */
const upsert = (q: RunQueue, s: Pick<ScheduleRow, 'id' | 'cron'>) =>
  q.queue.upsertJobScheduler(
    schedulerId(s.id, q.workspace),
    { pattern: s.cron },
    { name: 'schedule', data: { scheduleId: s.id, ...(q.workspace ? { workspace: q.workspace } : {}) } },
  );

/**
 * Saves the schedule in MySQL (the source of truth) and creates its BullMQ job scheduler, in one
 * transaction with `onCreate` (its audit entry): a cron expression BullMQ refuses, or an entry that
 * cannot be written, keeps nothing (a scheduler left in Redis without its row is removed by the
 * reconciler; one firing meanwhile finds no schedule). The benchmark and model are checked first, as a
 * run would check them.
 */
export async function createSchedule(
  deps: ScheduleDeps,
  input: { cron: string; spec: ScheduleSpec },
  onCreate?: CommitHook<ScheduleRow>,
): Promise<ScheduleRow> {
  const { plan } = await planForSpec({ ...input.spec, label: 'schedule-check' }, deps.files, deps.env);
  return deps.store.kysely.transaction().execute(async (trx) => {
    const row = await insertSchedule(trx, {
      benchmark: plan.benchmark,
      model: plan.model,
      cron: input.cron,
      spec: input.spec,
    });
    await onCreate?.(trx, row);
    try {
      await upsert(deps.queue, row);
    } catch (err) {
      throw new ScheduleCronError(
        `cron expression ${JSON.stringify(input.cron)} is not valid: ${(err as Error).message} ` +
          '(five fields, minute first, or six with seconds first: "0 3 * * *" is 03:00 every day)',
      );
    }
    return row;
  });
}

/**
 * Removes the schedule, in one transaction with `onRemove` (its audit entry, given what was removed),
 * then its scheduler (should Redis not answer, the reconciler removes it); false when there is none.
 * Runs it started stay.
 */
export async function removeSchedule(
  deps: Pick<ScheduleDeps, 'store' | 'queue'>,
  id: number,
  onRemove?: CommitHook<ScheduleRow>,
): Promise<boolean> {
  const removed = await deps.store.kysely.transaction().execute(async (trx) => {
    const had = await getSchedule(trx, id);
    if (!had || !(await deleteSchedule(trx, id))) return false;
    await onRemove?.(trx, had);
    return true;
  });
  if (!removed) return false;
  await deps.queue.queue.removeJobScheduler(schedulerId(id, deps.queue.workspace));
  return true;
}

export { listSchedules };

/**
 * Makes Redis's job schedulers of the queue's workspace what its MySQL database says (after Redis lost its
 * data, or a schedule removed while Redis was away): creates the missing ones, removes those without a
 * schedule (other workspaces' are theirs). Returns how many it created.
 */
export async function syncSchedulers(deps: Pick<ScheduleDeps, 'store' | 'queue'>): Promise<number> {
  const want = await listSchedules(deps.store.kysely);
  const ws = deps.queue.workspace;
  const have = (await deps.queue.queue.getJobSchedulers(0, -1)).filter((h) => isSchedulerOf(h.key, ws));
  const byId = new Map(have.map((h) => [h.key, h]));
  let created = 0;
  for (const s of want) {
    const h = byId.get(schedulerId(s.id, ws));
    if (h && h.pattern === s.cron) continue;
    await upsert(deps.queue, s);
    // removed since it was listed: its remover may have taken its scheduler away before this upsert
    if (!(await getSchedule(deps.store.kysely, s.id))) {
      await deps.queue.queue.removeJobScheduler(schedulerId(s.id, ws));
      continue;
    }
    created++;
  }
  const ids = new Set(want.map((s) => schedulerId(s.id, ws)));
  for (const h of have) if (!ids.has(h.key)) await deps.queue.queue.removeJobScheduler(h.key);
  return created;
}
