import type { Selectable } from 'kysely';
import type { AccountDb, StoreKysely } from '../../accounts/account-db.ts';
import { instant } from '../../accounts/account-rows.ts';
import { appendAudit } from '../../accounts/audit-log.ts';
import type { AuditActor } from '../../accounts/types.ts';
import { sqlTimestamp } from '../../store/runs.ts';
import type { StoreTables } from '../../store/schema.ts';
import type { ModelOutput } from './protocol.ts';
import type { PlaygroundInput } from './session.ts';

/** Runs kept per user; older ones are deleted as a new one is stored. */
export const HISTORY_PER_USER = 50;

export interface PlaygroundRun {
  id: number;
  created_at: string;
  input: PlaygroundInput;
  output: ModelOutput[];
}

type Row = Selectable<StoreTables['playground_runs']>;
/** A stored JSON value: text on DuckDB and MariaDB, already parsed by mysql2 on MySQL 8. */
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

const toRun = (r: Row): PlaygroundRun => ({
  id: Number(r.id),
  created_at: instant(r.created_at),
  input: json(r.input) as PlaygroundInput,
  output: json(r.output) as ModelOutput[],
});

/** Who the history belongs to: a user's id, or null for the local user of auth off. */
export type HistoryOwner = number | null;

/**
 * The playground's history in a workspace's own database: each user's last 50 runs. A user reads
 * only their own; a run of someone else is as unknown as one that does not exist.
 */
export class PlaygroundHistory {
  constructor(
    private readonly db: AccountDb,
    private readonly workspaceId: number,
  ) {}

  private own(q: StoreKysely, owner: HistoryOwner) {
    const base = q.selectFrom('playground_runs');
    return owner === null ? base.where('user_id', 'is', null) : base.where('user_id', '=', owner);
  }

  /**
   * Stores a run, deletes the owner's runs beyond the last 50, and writes the `playground.run` audit
   * entry (the models asked, never a prompt's text or a key), all in one transaction.
   */
  async add(
    owner: HistoryOwner,
    input: PlaygroundInput,
    output: ModelOutput[],
    by: AuditActor,
    now: Date = new Date(),
  ): Promise<PlaygroundRun> {
    return this.db.transaction(async (trx) => {
      const res = await trx
        .insertInto('playground_runs')
        .values({
          user_id: owner,
          created_at: sqlTimestamp(now.toISOString()) as string,
          input: JSON.stringify(input),
          output: JSON.stringify(output),
        })
        .executeTakeFirst();
      // MySQL reports the auto-increment id; DuckDB none, and under its one writer the highest id is this one
      const id =
        res.insertId !== undefined
          ? Number(res.insertId)
          : Number(
              (
                await trx
                  .selectFrom('playground_runs')
                  .select((eb) => eb.fn.max('id').as('id'))
                  .executeTakeFirstOrThrow()
              ).id,
            );
      const keep = await this.own(trx, owner)
        .select('id')
        .orderBy('id', 'desc')
        .limit(HISTORY_PER_USER)
        .execute();
      const oldest = Math.min(...keep.map((r) => Number(r.id)));
      if (keep.length === HISTORY_PER_USER) {
        const q = trx.deleteFrom('playground_runs').where('id', '<', oldest);
        await (owner === null ? q.where('user_id', 'is', null) : q.where('user_id', '=', owner)).execute();
      }
      await appendAudit(trx, this.db.dialect, {
        action: 'playground.run',
        resource: `playground_run:${id}`,
        workspaceId: this.workspaceId,
        ...by,
        after: {
          id,
          models: input.models.map((m) => m.name),
          errors: output.filter((o) => o.error !== null).length,
        },
      });
      return toRun(await this.own(trx, owner).selectAll().where('id', '=', id).executeTakeFirstOrThrow());
    });
  }

  /** The owner's runs, newest first (at most 50). */
  async list(owner: HistoryOwner): Promise<PlaygroundRun[]> {
    const rows = await this.own(this.db.kysely, owner)
      .selectAll()
      .orderBy('id', 'desc')
      .limit(HISTORY_PER_USER)
      .execute();
    return rows.map(toRun);
  }

  /** One of the owner's runs, or null (unknown, pruned, or someone else's). */
  async get(owner: HistoryOwner, id: number): Promise<PlaygroundRun | null> {
    const row = await this.own(this.db.kysely, owner).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : null;
  }
}
