import { type Kysely, sql } from 'kysely';
import { OUTCOME_CODE } from '../../core/types.ts';
import type { StoreTables } from '../schema.ts';

/** queue mode's MySQL tables (sql/mysql/005_queue.sql): queued runs and schedules, the source of truth. */

const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

export interface QueuedRunRow {
  runId: number;
  /** ingest/queue/spec.ts QueuedRunSpec, as stored (the caller parses it) */
  spec: unknown;
  /** the run's item keys in chunk order */
  itemKeys: string[];
  /** items × samples */
  total: number;
  chunkItems: number;
  /** when it was (last) enqueued; for its items per second */
  queuedAt?: string;
}

export async function saveQueuedRun(k: Kysely<StoreTables>, row: QueuedRunRow): Promise<void> {
  const values = {
    spec: JSON.stringify(row.spec),
    item_keys: JSON.stringify(row.itemKeys),
    total: row.total,
    chunk_items: row.chunkItems,
    created_at: sql<string>`CURRENT_TIMESTAMP(3)`,
  };
  await k
    .insertInto('run_queue')
    .values({ run_id: row.runId, ...values })
    .onDuplicateKeyUpdate(values)
    .execute();
}

const toRow = (r: {
  run_id: number;
  spec: unknown;
  item_keys: unknown;
  total: number;
  chunk_items: number;
  created_at: Date | string;
}): QueuedRunRow => ({
  queuedAt: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at),
  runId: Number(r.run_id),
  spec: json(r.spec),
  itemKeys: json(r.item_keys) as string[],
  total: Number(r.total),
  chunkItems: Number(r.chunk_items),
});

export async function getQueuedRun(k: Kysely<StoreTables>, runId: number): Promise<QueuedRunRow | null> {
  const r = await k.selectFrom('run_queue').selectAll().where('run_id', '=', runId).executeTakeFirst();
  return r ? toRow(r) : null;
}

/** Queued runs MySQL says are unfinished (queued or running): what the reconciler looks at. */
export async function unfinishedQueuedRuns(k: Kysely<StoreTables>): Promise<QueuedRunRow[]> {
  const rows = await k
    .selectFrom('run_queue as q')
    .innerJoin('runs as r', 'r.id', 'q.run_id')
    .select(['q.run_id', 'q.spec', 'q.item_keys', 'q.total', 'q.chunk_items', 'q.created_at'])
    .where('r.status', 'in', ['queued', 'running'])
    .orderBy('q.run_id')
    .execute();
  return rows.map(toRow);
}

/** Ids of every run that went through the queue. */
export async function queuedRunIds(k: Kysely<StoreTables>): Promise<Set<number>> {
  const rows = await k.selectFrom('run_queue').select('run_id').execute();
  return new Set(rows.map((r) => Number(r.run_id)));
}

/**
 * `${item_key}#${sample}` of every stored result of the run, errors included (a chunk's errors were asked
 * `maxAttempts` times; a resume deletes them first), optionally only of these item keys.
 */
export async function storedKeys(
  k: Kysely<StoreTables>,
  runId: number,
  itemKeys?: readonly string[],
): Promise<Set<string>> {
  let q = k
    .selectFrom('results as r')
    .innerJoin('items as i', 'i.id', 'r.item_id')
    .select(['i.item_key', 'r.sample'])
    .where('r.run_id', '=', runId);
  if (itemKeys) {
    if (itemKeys.length === 0) return new Set();
    q = q.where('i.item_key', 'in', [...itemKeys]);
  }
  const rows = await q.execute();
  return new Set(rows.map((r) => `${r.item_key}#${r.sample}`));
}

export interface RunTally {
  done: number;
  correct: number;
  incorrect: number;
  unscored: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** A run's stored results counted by outcome, with their tokens and cost: its progress, whoever asked. */
export async function runTally(k: Kysely<StoreTables>, runId: number): Promise<RunTally> {
  const n = (code: number) => sql<number>`COALESCE(SUM(outcome = ${code}), 0)`;
  const r = await k
    .selectFrom('results')
    .select([
      sql<number>`COUNT(*)`.as('done'),
      n(OUTCOME_CODE.correct).as('correct'),
      n(OUTCOME_CODE.incorrect).as('incorrect'),
      n(OUTCOME_CODE.unscored).as('unscored'),
      n(OUTCOME_CODE.error).as('errors'),
      sql<number>`COALESCE(SUM(tokens_in), 0)`.as('tokens_in'),
      sql<number>`COALESCE(SUM(tokens_out), 0)`.as('tokens_out'),
      sql<number>`COALESCE(SUM(cost_usd), 0)`.as('cost_usd'),
    ])
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  return {
    done: Number(r.done),
    correct: Number(r.correct),
    incorrect: Number(r.incorrect),
    unscored: Number(r.unscored),
    errors: Number(r.errors),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    costUsd: Number(r.cost_usd),
  };
}

/**
 * Changes a queued run only while it is still queued or running (`from`): of workers finishing chunks at
 * the same moment, exactly one sees true when it sets the final status (and says the run ended); a
 * progress summary never overwrites a final one.
 */
export async function updateQueuedRun(
  k: Kysely<StoreTables>,
  runId: number,
  patch: { status?: string; statusReason?: string | null; summary?: unknown },
  from: readonly string[] = ['queued', 'running'],
): Promise<boolean> {
  const r = await k
    .updateTable('runs')
    .set({
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.statusReason !== undefined && { status_reason: patch.statusReason }),
      ...(patch.summary !== undefined && { summary: JSON.stringify(patch.summary) }),
    })
    .where('id', '=', runId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export interface ScheduleRow {
  id: number;
  benchmark: string;
  model: string;
  cron: string;
  /** the run options (ingest/queue/spec.ts, without the label) */
  spec: unknown;
  createdAt: string;
}

const toSchedule = (r: {
  id: number;
  benchmark: string;
  model: string;
  cron: string;
  spec: unknown;
  created_at: Date | string;
}): ScheduleRow => ({
  id: Number(r.id),
  benchmark: r.benchmark,
  model: r.model,
  cron: r.cron,
  spec: json(r.spec),
  createdAt: r.created_at instanceof Date ? r.created_at.toISOString() : String(r.created_at),
});

export async function insertSchedule(
  k: Kysely<StoreTables>,
  s: { benchmark: string; model: string; cron: string; spec: unknown },
): Promise<ScheduleRow> {
  const r = await k
    .insertInto('schedules')
    .values({ benchmark: s.benchmark, model: s.model, cron: s.cron, spec: JSON.stringify(s.spec) })
    .executeTakeFirstOrThrow();
  return (await getSchedule(k, Number(r.insertId)))!;
}

export async function getSchedule(k: Kysely<StoreTables>, id: number): Promise<ScheduleRow | null> {
  const r = await k.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toSchedule(r) : null;
}

export async function listSchedules(k: Kysely<StoreTables>): Promise<ScheduleRow[]> {
  return (await k.selectFrom('schedules').selectAll().orderBy('id').execute()).map(toSchedule);
}

export async function deleteSchedule(k: Kysely<StoreTables>, id: number): Promise<boolean> {
  const r = await k.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
