import type mysql from 'mysql2/promise';
import type { IngestStats, RecordStore, RunInfo, RunSpec, RunStatus } from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { OUTCOME_CODE } from '../../core/types.ts';
import { Catalog } from '../catalog.ts';
import { findRun, getRun, selectRuns } from '../runs.ts';
import { appendResults } from './append.ts';
import { createMysqlPool, MysqlDb, migrateMysql } from './connection.ts';

/**
 * MySQL (or MariaDB) as the system of record. Several processes may write at once:
 * the catalog ignores collisions and results are insert-if-absent on their primary key.
 * Every change the mirror cannot see through the results id watermark is logged in `changes`.
 */
export class MysqlStore implements RecordStore {
  readonly kind = 'mysql' as const;
  readonly db: MysqlDb;
  readonly catalog: Catalog;

  constructor(readonly pool: mysql.Pool) {
    this.db = new MysqlDb(pool);
    this.catalog = new Catalog(this.db);
  }

  static async open(url: string, poolSize = 10): Promise<MysqlStore> {
    const store = new MysqlStore(createMysqlPool(url, poolSize));
    await store.migrate();
    return store;
  }

  async migrate(): Promise<void> {
    await migrateMysql(this.pool);
  }

  private async logChange(kind: 'catalog' | 'run', runId: number | null = null): Promise<void> {
    await this.pool.query('INSERT INTO changes (kind, run_id) VALUES (?, ?)', [kind, runId]);
  }

  async ingest(records: CanonicalRecord[]): Promise<IngestStats> {
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
      await conn.commit();
      return { inserted, duplicates: records.length - inserted };
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async ensureRun(spec: RunSpec): Promise<RunInfo> {
    const b = await this.catalog.benchmark(spec.benchmark);
    const m = await this.catalog.model(spec.model);
    const id = await this.catalog.run(b.id, m, spec.label, spec.source, spec.config, spec.evaluatedAt);
    if (spec.status) {
      await this.pool.query("UPDATE runs SET status = ? WHERE id = ? AND status = 'imported'", [
        spec.status,
        id,
      ]);
    }
    if (this.catalog.changed) {
      await this.logChange('catalog');
      this.catalog.changed = false;
    }
    return (await this.getRun(id))!;
  }

  getRun(id: number): Promise<RunInfo | null> {
    return getRun(this.db, id);
  }

  findRun(benchmark: string, model: string, label: string): Promise<RunInfo | null> {
    return findRun(this.db, benchmark, model, label);
  }

  listRuns(): Promise<RunInfo[]> {
    return selectRuns(this.db);
  }

  async updateRun(
    id: number,
    patch: { status?: RunStatus; statusReason?: string | null; summary?: unknown },
  ) {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.status !== undefined) sets.push('status = ?') && params.push(patch.status);
    if (patch.statusReason !== undefined) sets.push('status_reason = ?') && params.push(patch.statusReason);
    if (patch.summary !== undefined) sets.push('summary = ?') && params.push(JSON.stringify(patch.summary));
    if (sets.length === 0) return;
    await this.pool.query(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
  }

  async doneKeys(runId: number): Promise<Set<string>> {
    const rows = await this.db.all<{ k: string }>(
      `SELECT CONCAT(i.item_key, '#', r.sample) AS k FROM results r JOIN items i ON i.id = r.item_id
       WHERE r.run_id = ? AND r.outcome <> ?`,
      [runId, OUTCOME_CODE.error],
    );
    return new Set(rows.map((r) => r.k));
  }

  async deleteErrors(runId: number): Promise<number> {
    const n = await this.db.run('DELETE FROM results WHERE run_id = ? AND outcome = ?', [
      runId,
      OUTCOME_CODE.error,
    ]);
    if (n > 0) await this.logChange('run', runId);
    return n;
  }

  async deleteRun(runId: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM results WHERE run_id = ?', [runId]);
      await tx.run('DELETE FROM runs WHERE id = ?', [runId]);
      await tx.run("INSERT INTO changes (kind, run_id) VALUES ('run', ?)", [runId]);
    });
    this.catalog.forgetRun(runId);
  }

  async resultWatermark(): Promise<number> {
    const [row] = await this.db.all<{ id: unknown }>('SELECT COALESCE(MAX(id), 0) AS id FROM results');
    return Number(row?.id ?? 0);
  }

  async deleteResultsAfter(runId: number, afterId: number): Promise<number> {
    // the change tells the mirror to copy the run's results again
    return this.db.transaction(async (tx) => {
      const n = await tx.run('DELETE FROM results WHERE run_id = ? AND id > ?', [runId, afterId]);
      if (n > 0) await tx.run("INSERT INTO changes (kind, run_id) VALUES ('run', ?)", [runId]);
      return n;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export function openMysqlStore(url: string, poolSize?: number): Promise<MysqlStore> {
  return MysqlStore.open(url, poolSize);
}
