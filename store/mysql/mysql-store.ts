import type { Kysely } from 'kysely';
import type mysql from 'mysql2/promise';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../../core/config.ts';
import type {
  BulkStage,
  BulkStats,
  CommitHook,
  IngestOptions,
  IngestStats,
  RecordStore,
  RunInfo,
  RunSpec,
  RunStatus,
} from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { OUTCOME_CODE } from '../../core/types.ts';
import { Catalog, type NewItem } from '../catalog.ts';
import { chunks } from '../db.ts';
import type { DuckDbResources } from '../duckdb/connection.ts';
import { connectionKysely, mysqlKysely } from '../kysely-mysql.ts';
import { findRun, getRun, listRuns } from '../runs.ts';
import { ITEMS, type StoreTables } from '../schema.ts';
import { appendResults, LOAD_DATA_MIN_ROWS } from './append.ts';
import { mysqlBulkAppend } from './bulk-append.ts';
import { createMysqlPool, MysqlDb, migrateMysql } from './connection.ts';
import { loadData } from './load-data.ts';

/** The items' columns an insert writes (the id is the engine's), in store/schema.ts order. */
const ITEM_COLS = ITEMS.filter((c) => !c.defaulted).map((c) => c.name as keyof NewItem & string);

/**
 * MySQL (or MariaDB) as the system of record. Several processes may write at once:
 * the catalog ignores collisions and results are insert-if-absent on their primary key.
 * Every change the mirror cannot see through the results id watermark is logged in `changes`.
 */
export class MysqlStore implements RecordStore {
  readonly kind = 'mysql' as const;
  readonly db: MysqlDb;
  /** The record store's queries and transactions (the results' bulk append stays mysql2's LOAD DATA). */
  readonly kysely: Kysely<StoreTables>;
  readonly catalog: Catalog;

  /**
   * `staging`: the memory limit of the in-process DuckDB that stages a bulk import (it spills to the
   * import's scratch folder beyond it).
   */
  constructor(
    readonly pool: mysql.Pool,
    private readonly staging: DuckDbResources = { memoryLimit: DEFAULT_DUCKDB_MEMORY_LIMIT },
  ) {
    this.db = new MysqlDb(pool);
    this.kysely = mysqlKysely(pool);
    const k = this.kysely;
    this.catalog = new Catalog({
      kysely: k,
      async insertItems(rows) {
        // many new items (a file of new items: one per result) stream through LOAD DATA, as results do:
        // a multi-row INSERT a statement per 500 rows made them the import's slowest part
        if (rows.length >= LOAD_DATA_MIN_ROWS) {
          await loadData(pool, 'items', ITEM_COLS, rows, (r) => ITEM_COLS.map((c) => r[c]));
          return;
        }
        // 500 rows × 21 columns stay well below the server's 65,535 placeholders
        for (const part of chunks(rows, 500)) await k.insertInto('items').orIgnore().values(part).execute();
      },
    });
  }

  static async open(url: string, poolSize = 10, staging?: DuckDbResources): Promise<MysqlStore> {
    const store = new MysqlStore(createMysqlPool(url, poolSize), staging);
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    await migrateMysql(this.pool);
  }

  /** Logs a change the mirror cannot see through the results id watermark. */
  private async logChange(
    kind: 'catalog' | 'run',
    runId: number | null = null,
    k: Kysely<StoreTables> = this.kysely,
  ): Promise<void> {
    await k.insertInto('changes').values({ kind, run_id: runId }).execute();
  }

  async ingest(records: CanonicalRecord[], opts: IngestOptions = {}): Promise<IngestStats> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    let rows: Awaited<ReturnType<Catalog['resolve']>>;
    try {
      rows = await this.catalog.resolve(records);
    } catch (err) {
      this.catalog.reset();
      throw err;
    }
    if (this.catalog.changed) {
      await this.logChange('catalog');
      this.catalog.changed = false;
      this.catalog.changedBenchmarks.clear();
    }
    const conn = await this.pool.getConnection();
    try {
      await conn.beginTransaction();
      const inserted = await appendResults(conn, rows);
      const stats = { inserted, duplicates: records.length - inserted };
      if (opts.onCommit) await opts.onCommit(connectionKysely(conn), stats);
      await conn.commit();
      return stats;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  /** A staged file: items registered, then its results in one LOAD DATA and transaction (store/mysql/bulk-append.ts). */
  bulkAppend(stage: BulkStage): Promise<BulkStats | null> {
    return mysqlBulkAppend(
      {
        pool: this.pool,
        catalog: this.catalog,
        logCatalogChange: () => this.logChange('catalog'),
        memoryLimit: this.staging.memoryLimit,
      },
      stage,
    );
  }

  async ensureRun(spec: RunSpec, onCommit?: CommitHook<RunInfo>): Promise<RunInfo> {
    const b = await this.catalog.benchmark(spec.benchmark);
    const m = await this.catalog.model(spec.model);
    if (this.catalog.changed) {
      await this.logChange('catalog');
      this.catalog.changed = false;
    }
    // the run's row, its status and the hook's entry commit together
    let id = 0;
    try {
      return await this.kysely.transaction().execute(async (tx) => {
        id = await this.catalog.run(
          b.id,
          m,
          spec.label,
          spec.source,
          spec.config,
          spec.evaluatedAt,
          spec.prompt,
          tx,
        );
        if (spec.status) {
          await tx
            .updateTable('runs')
            .set({ status: spec.status })
            .where('id', '=', id)
            .where('status', '=', 'imported')
            .execute();
        }
        const run = (await getRun(tx, id))!;
        await onCommit?.(tx, run);
        return run;
      });
    } catch (err) {
      if (id) this.catalog.forgetRun(id); // the cache may name a row the rollback removed
      throw err;
    }
  }

  getRun(id: number): Promise<RunInfo | null> {
    return getRun(this.kysely, id);
  }

  findRun(benchmark: string, model: string, label: string): Promise<RunInfo | null> {
    return findRun(this.kysely, benchmark, model, label);
  }

  listRuns(): Promise<RunInfo[]> {
    return listRuns(this.kysely);
  }

  async updateRun(
    id: number,
    patch: { status?: RunStatus; statusReason?: string | null; summary?: unknown },
    onCommit?: CommitHook,
  ) {
    const set = {
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.statusReason !== undefined && { status_reason: patch.statusReason }),
      ...(patch.summary !== undefined && { summary: JSON.stringify(patch.summary) }),
    };
    if (Object.keys(set).length === 0 && !onCommit) return;
    // updated_at: the column's ON UPDATE CURRENT_TIMESTAMP(3)
    if (!onCommit) {
      await this.kysely.updateTable('runs').set(set).where('id', '=', id).execute();
      return;
    }
    await this.kysely.transaction().execute(async (tx) => {
      if (Object.keys(set).length > 0) await tx.updateTable('runs').set(set).where('id', '=', id).execute();
      await onCommit(tx, undefined);
    });
  }

  async doneKeys(runId: number): Promise<Set<string>> {
    const rows = await this.kysely
      .selectFrom('results as r')
      .innerJoin('items as i', 'i.id', 'r.item_id')
      .select(['i.item_key', 'r.sample'])
      .where('r.run_id', '=', runId)
      .where('r.outcome', '<>', OUTCOME_CODE.error)
      .execute();
    return new Set(rows.map((r) => `${r.item_key}#${r.sample}`));
  }

  async deleteErrors(runId: number): Promise<number> {
    const { numDeletedRows } = await this.kysely
      .deleteFrom('results')
      .where('run_id', '=', runId)
      .where('outcome', '=', OUTCOME_CODE.error)
      .executeTakeFirstOrThrow();
    const n = Number(numDeletedRows);
    if (n > 0) await this.logChange('run', runId);
    return n;
  }

  async deleteRun(runId: number, onCommit?: CommitHook): Promise<void> {
    await this.kysely.transaction().execute(async (tx) => {
      await tx.deleteFrom('results').where('run_id', '=', runId).execute();
      await tx.deleteFrom('runs').where('id', '=', runId).execute();
      await this.logChange('run', runId, tx);
      await onCommit?.(tx, undefined);
    });
    this.catalog.forgetRun(runId);
  }

  async setRunsStatus(ids: number[], status: RunStatus, onCommit?: CommitHook): Promise<void> {
    await this.kysely.transaction().execute(async (tx) => {
      if (ids.length > 0) await tx.updateTable('runs').set({ status }).where('id', 'in', ids).execute();
      await onCommit?.(tx, undefined);
    });
  }

  async resultWatermark(): Promise<number> {
    const row = await this.kysely
      .selectFrom('results')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  async deleteResultsAfter(runId: number, afterId: number): Promise<number> {
    // the change tells the mirror to copy the run's results again
    return this.kysely.transaction().execute(async (tx) => {
      const { numDeletedRows } = await tx
        .deleteFrom('results')
        .where('run_id', '=', runId)
        .where('id', '>', afterId)
        .executeTakeFirstOrThrow();
      const n = Number(numDeletedRows);
      if (n > 0) await this.logChange('run', runId, tx);
      return n;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function openMysqlStore(
  url: string,
  poolSize?: number,
  staging?: DuckDbResources,
): Promise<MysqlStore> {
  return MysqlStore.open(url, poolSize, staging);
}
