import { existsSync } from 'node:fs';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Kysely } from 'kysely';
import { type Config, DEFAULT_DUCKDB_MEMORY_LIMIT } from '../../core/config.ts';
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
import type { CanonicalRecord, MetadataField } from '../../core/types.ts';
import { OUTCOME_CODE } from '../../core/types.ts';
import { Catalog, type NewItem } from '../catalog.ts';
import { Mutex } from '../mutex.ts';
import { findRun, getRun, listRuns } from '../runs.ts';
import { ITEMS, type StoreTables } from '../schema.ts';
import { appendResults } from './append.ts';
import { appendStaged, stageBulk } from './bulk-append.ts';
import { dropBulkTemps } from './bulk-register.ts';
import {
  applyDuckDbSchema,
  type BulkColumn,
  createDuckDbFile,
  DuckDb,
  type DuckDbResources,
  openDuckDbInstance,
} from './connection.ts';
import { duckKysely } from './kysely-duckdb.ts';
import { rebuildMetaTable } from './meta-tables.ts';

/** The items' columns an insert gives (the id is the sequence's), as the staging table holds them. */
const ITEM_STAGE: readonly BulkColumn[] = ITEMS.filter((c) => !c.defaulted).map((c) => ({
  name: c.name,
  type: c.duckdb === 'INTEGER' ? 'INTEGER' : 'VARCHAR', // JSON is staged as its text
}));

/**
 * The embedded store: one DuckDB file is both the record and the analytics store.
 * One writer connection, serialized by a mutex; analysis reads use their own connections.
 */
export class DuckDbStore implements RecordStore {
  readonly kind = 'duckdb' as const;
  readonly catalog: Catalog;
  /** The record store's queries shared with MySQL (store/runs.ts, store/catalog.ts), on the writer connection. */
  readonly kysely: Kysely<StoreTables>;
  private readonly mutex = new Mutex();
  /** Bumped on every committed write; answers are cached by it. */
  dataVersion = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly db: DuckDb,
    readonly path: string,
  ) {
    this.kysely = duckKysely(db);
    this.catalog = new Catalog({
      kysely: this.kysely,
      insertItems: (rows: readonly NewItem[]) =>
        db.insertIgnore(
          'items',
          ['benchmark_id', 'item_key'],
          ITEM_STAGE,
          rows.map((r) => ITEM_STAGE.map((c) => r[c.name as keyof NewItem] ?? null)),
        ),
    });
  }

  /** `resources`: from the configuration (duckDbResources); by default the product's memory limit. */
  static async open(
    path: string,
    resources: DuckDbResources = { memoryLimit: DEFAULT_DUCKDB_MEMORY_LIMIT },
  ): Promise<DuckDbStore> {
    // a new file is made whole first (createDuckDbFile says why)
    if (path !== ':memory:' && !existsSync(path)) await createDuckDbFile(path, resources);
    const instance = await openDuckDbInstance(path, resources);
    const conn = await instance.connect();
    const store = new DuckDbStore(instance, new DuckDb(conn), path);
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    await applyDuckDbSchema(this.db.conn);
    const [row] = await this.db.all<{ v: number }>("SELECT v FROM mirror_state WHERE k = 'data_version'");
    this.dataVersion = row ? Number(row.v) : 0;
  }

  /**
   * Runs a write under the mutex in one transaction, then bumps the data version, unless
   * `changed` says the write changed nothing a reader can see.
   */
  async write<T>(fn: () => Promise<T>, changed: (result: T) => boolean = () => true): Promise<T> {
    return this.mutex.run(() => this.transaction(fn, changed));
  }

  /** `write` without the mutex: the caller holds it. */
  private async transaction<T>(fn: () => Promise<T>, changed: (result: T) => boolean): Promise<T> {
    let out: T;
    let bump = false;
    try {
      out = await this.db.transaction(async () => {
        const r = await fn();
        await this.rebuildChangedMeta();
        bump = changed(r);
        if (!bump) return r;
        await this.db.run(
          "INSERT INTO mirror_state VALUES ('data_version', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
          [this.dataVersion + 1],
        );
        return r;
      });
    } catch (err) {
      this.catalog.reset(); // the cache may name rows the rollback removed
      this.catalog.changedBenchmarks.clear();
      throw err;
    }
    if (bump) this.dataVersion++;
    return out;
  }

  /** A connection of its own over this file, for readers (the analysis engine's pool); the caller closes it. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** DuckDB's worker threads for this file's instance (every connection shares them). */
  async setThreads(n: number): Promise<void> {
    await this.db.run(`SET threads = ${Math.trunc(n)}`); // an integer, never text
  }

  /**
   * Rebuilds every benchmark's meta_<id> table from the benchmark_fields rows it holds: after the
   * catalog tables were replaced wholesale (the mirror's copy). Call inside `write`.
   */
  async rebuildAllMetaTables(): Promise<void> {
    const fields = await this.db.all<MetadataField & { benchmark_id: number }>(
      'SELECT benchmark_id, name, col, type, label FROM benchmark_fields',
    );
    const ids = (await this.db.all<{ id: number }>('SELECT id FROM benchmarks')).map((b) => b.id);
    for (const id of ids) {
      await rebuildMetaTable(
        this.db.conn,
        id,
        fields.filter((f) => f.benchmark_id === id),
      );
    }
  }

  private async rebuildChangedMeta(): Promise<void> {
    for (const id of this.catalog.changedBenchmarks) {
      const b = [...this.catalog.benchmarks.values()].find((x) => x.id === id);
      if (b) await rebuildMetaTable(this.db.conn, id, [...b.fields.values()]);
    }
    this.catalog.changedBenchmarks.clear();
    this.catalog.changed = false;
  }

  async ingest(records: CanonicalRecord[], opts: IngestOptions = {}): Promise<IngestStats> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 };
    return this.write(
      async () => {
        const rows = await this.catalog.resolve(records);
        const inserted = await appendResults(this.db.conn, rows);
        const stats = { inserted, duplicates: records.length - inserted };
        // the store's Kysely runs on the writer connection, inside this transaction
        if (opts.onCommit) await opts.onCommit(this.kysely, stats);
        return stats;
      },
      () => !opts.hidden,
    );
  }

  /**
   * A staged file in one write: all of it or nothing (store/duckdb/bulk-append.ts). The file is staged
   * under the mutex but before the transaction: DuckDB scans temp tables created inside a transaction
   * (its uncommitted local storage) at about half the speed (4M rows: the row checks 3.9–5.1 s against
   * 1.8–1.9 s), and the stage writes nothing but temp tables.
   */
  bulkAppend(stage: BulkStage): Promise<BulkStats | null> {
    return this.mutex.run(async () => {
      try {
        const staged = await stageBulk(this.db, stage);
        if (!staged) return null;
        return await this.transaction(
          async () => {
            const stats = await appendStaged(this.db, this.catalog, staged, stage);
            if (stats && stage.onCommit) await stage.onCommit(this.kysely, stats);
            return stats;
          },
          (r) => r !== null,
        );
      } finally {
        await dropBulkTemps(this.db);
      }
    });
  }

  async ensureRun(spec: RunSpec, onCommit?: CommitHook<RunInfo>): Promise<RunInfo> {
    // the run's row, its status and the hook's entry commit together
    return this.write(async () => {
      const b = await this.catalog.benchmark(spec.benchmark);
      const m = await this.catalog.model(spec.model);
      const runId = await this.catalog.run(
        b.id,
        m,
        spec.label,
        spec.source,
        spec.config,
        spec.evaluatedAt,
        spec.prompt,
      );
      if (spec.status) {
        await this.db.run("UPDATE runs SET status = ? WHERE id = ? AND status = 'imported'", [
          spec.status,
          runId,
        ]);
      }
      const run = (await this.getRun(runId))!;
      await onCommit?.(this.kysely, run);
      return run;
    });
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
    await this.write(async () => {
      if (patch.status !== undefined)
        await this.db.run('UPDATE runs SET status = ? WHERE id = ?', [patch.status, id]);
      if (patch.statusReason !== undefined) {
        await this.db.run('UPDATE runs SET status_reason = ? WHERE id = ?', [patch.statusReason, id]);
      }
      if (patch.summary !== undefined) {
        await this.db.run('UPDATE runs SET summary = ? WHERE id = ?', [JSON.stringify(patch.summary), id]);
      }
      await this.db.run('UPDATE runs SET updated_at = current_timestamp WHERE id = ?', [id]);
      await onCommit?.(this.kysely, undefined);
    });
  }

  async doneKeys(runId: number): Promise<Set<string>> {
    const rows = await this.db.all<{ k: string }>(
      `SELECT i.item_key || '#' || r.sample AS k FROM results r JOIN items i ON i.id = r.item_id
       WHERE r.run_id = ? AND r.outcome <> ?`,
      [runId, OUTCOME_CODE.error],
    );
    return new Set(rows.map((r) => r.k));
  }

  deleteErrors(runId: number): Promise<number> {
    return this.write(() =>
      this.db.run('DELETE FROM results WHERE run_id = ? AND outcome = ?', [runId, OUTCOME_CODE.error]),
    );
  }

  async deleteRun(runId: number, onCommit?: CommitHook): Promise<void> {
    await this.write(async () => {
      await this.db.run('DELETE FROM results WHERE run_id = ?', [runId]);
      await this.db.run('DELETE FROM runs WHERE id = ?', [runId]);
      await onCommit?.(this.kysely, undefined);
      this.catalog.forgetRun(runId);
    });
  }

  async setRunsStatus(ids: number[], status: RunStatus, onCommit?: CommitHook): Promise<void> {
    await this.write(async () => {
      for (const id of ids) {
        await this.db.run('UPDATE runs SET status = ?, updated_at = current_timestamp WHERE id = ?', [
          status,
          id,
        ]);
      }
      await onCommit?.(this.kysely, undefined);
    });
  }

  async resultWatermark(): Promise<number> {
    const [row] = await this.db.all<{ id: unknown }>('SELECT coalesce(max(id), 0) AS id FROM results');
    return Number(row?.id ?? 0);
  }

  deleteResultsAfter(runId: number, afterId: number): Promise<number> {
    return this.write(() => this.db.run('DELETE FROM results WHERE run_id = ? AND id > ?', [runId, afterId]));
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      this.db.conn.closeSync();
      this.instance.closeSync();
    });
  }
}

export function openDuckDbStore(path: string, resources?: DuckDbResources): Promise<DuckDbStore> {
  return DuckDbStore.open(path, resources);
}

/** The configured memory limit and spill folder of the DuckDB file (DUCKDB_MEMORY_LIMIT, DUCKDB_TEMP_DIR). */
export function duckDbResources(
  config: Pick<Config, 'duckdbMemoryLimit' | 'duckdbTempDir'>,
): DuckDbResources {
  return { memoryLimit: config.duckdbMemoryLimit, tempDirectory: config.duckdbTempDir };
}
