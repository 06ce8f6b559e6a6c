import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import type mysql from 'mysql2/promise';
import { MAX_META_COLS } from '../core/types.ts';
import { chunks, placeholders } from '../store/db.ts';
import { queryRows } from '../store/duckdb/connection.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { rebuildMetaTable } from '../store/duckdb/meta-tables.ts';

/** The analytics columns copied per result (response and error text stay in MySQL). */
const RESULT_COLS: [string, DuckDBType][] = [
  ['id', BIGINT],
  ['run_id', INTEGER],
  ['item_id', INTEGER],
  ['sample', INTEGER],
  ['outcome', UTINYINT],
  ['correct', BOOLEAN],
  ['score', DOUBLE],
  ['answer', VARCHAR],
  ['latency_ms', DOUBLE],
  ['ttft_ms', DOUBLE],
  ['tokens_in', INTEGER],
  ['tokens_out', INTEGER],
  ['cost_usd', DOUBLE],
];
const RESULT_NAMES = RESULT_COLS.map((c) => c[0]);
const META = Array.from({ length: MAX_META_COLS }, (_, i) => `m${i}`);

/** Small tables copied whole when the catalog changed: [table, columns]. */
const CATALOG_TABLES: [string, string[]][] = [
  ['benchmarks', ['id', 'slug', 'version', 'task', 'description', 'cluster_field', 'created_at']],
  ['benchmark_fields', ['benchmark_id', 'name', 'col', 'type', 'label']],
  ['models', ['id', 'name', 'provider', 'model_id', 'created_at']],
  ['items', ['id', 'benchmark_id', 'item_key', 'reference', ...META]],
];
const RUN_COLS = [
  'id',
  'benchmark_id',
  'model_id',
  'label',
  'source',
  'status',
  'status_reason',
  'config',
  'summary',
  'created_at',
  'updated_at',
];

export interface MirrorStats {
  rows: number;
  invalidatedRuns: number;
  catalogCopied: boolean;
  runsCopied: boolean;
  elapsedMs: number;
}

export interface MirrorLag {
  rows: number;
  seconds: number;
}

/** Rows per page: each page commits with its watermark, so a killed sync resumes where it stopped. */
const PAGE = 100_000;
/**
 * Rows younger than this are read again on the next sync: an auto-increment id is taken at
 * insert, not at commit, so a slower transaction can commit a lower id after a higher one.
 */
const LOOKBACK_SECONDS = 10;

/**
 * Incremental copy of MySQL into the DuckDB mirror: results by an id watermark (kept in DuckDB
 * in the same transaction as the rows), run-level invalidation from MySQL's `changes` log,
 * catalog tables copied whole when they change.
 */
export class Mirror {
  private runsFingerprint = '';
  private lastSyncAt = 0;

  constructor(
    private readonly pool: mysql.Pool,
    private readonly duck: DuckDbStore,
  ) {}

  private get conn(): DuckDBConnection {
    return this.duck.db.conn;
  }

  private async state(key: string): Promise<number> {
    const [row] = await queryRows<{ v: number }>(this.conn, 'SELECT v FROM mirror_state WHERE k = ?', [key]);
    return row ? Number(row.v) : 0;
  }

  private async setState(key: string, v: number): Promise<void> {
    await this.conn.run(
      'INSERT INTO mirror_state VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
      [key, v],
    );
  }

  /** One pass: replay changes, copy new results. Safe to kill at any point. */
  async syncOnce(onProgress?: (copied: number, total: number) => void): Promise<MirrorStats> {
    const t0 = performance.now();
    const stats: MirrorStats = {
      rows: 0,
      invalidatedRuns: 0,
      catalogCopied: false,
      runsCopied: false,
      elapsedMs: 0,
    };
    const lastSeq = await this.state('changes_seq');
    const [changes] = await this.pool.query(
      'SELECT seq, kind, run_id FROM changes WHERE seq > ? ORDER BY seq',
      [lastSeq],
    );
    const list = changes as { seq: number; kind: string; run_id: number | null }[];
    const maxSeq = list.length ? Number(list[list.length - 1]!.seq) : lastSeq;
    const catalogChanged =
      list.some((c) => c.kind === 'catalog') || (await this.state('catalog_copied')) === 0;
    const invalidated = [
      ...new Set(list.filter((c) => c.kind === 'run' && c.run_id !== null).map((c) => Number(c.run_id))),
    ];
    const [[fp]] = (await this.pool.query(
      "SELECT CONCAT(COUNT(*), ':', COALESCE(MAX(updated_at), ''), ':', COALESCE(MAX(id), 0)) AS f FROM runs",
    )) as unknown as [[{ f: string }]];
    const runsChanged = fp!.f !== this.runsFingerprint;

    if (catalogChanged || invalidated.length > 0 || runsChanged || list.length > 0) {
      await this.duck.write(async () => {
        if (catalogChanged) {
          for (const [table, cols] of CATALOG_TABLES) await this.copyTable(table, cols);
          const fields = await queryRows<{
            benchmark_id: number;
            name: string;
            col: number | null;
            type: string;
            label: string;
          }>(this.conn, 'SELECT benchmark_id, name, col, type, label FROM benchmark_fields');
          const ids = (await queryRows<{ id: number }>(this.conn, 'SELECT id FROM benchmarks')).map(
            (b) => b.id,
          );
          for (const id of ids) {
            await rebuildMetaTable(
              this.conn,
              id,
              fields.filter((f) => f.benchmark_id === id).map((f) => ({ ...f, type: f.type as never })),
            );
          }
          await this.setState('catalog_copied', 1);
          stats.catalogCopied = true;
        }
        if (runsChanged || catalogChanged) {
          await this.copyTable('runs', RUN_COLS);
          stats.runsCopied = true;
        }
        if (invalidated.length > 0) {
          // WARNING: run ids are integers from MySQL, bound as parameters: `run_id IN (?, ?)`.
          await this.conn.run(
            `DELETE FROM results WHERE run_id IN (${invalidated.map(() => '?').join(', ')})`,
            invalidated,
          );
          const wm = await this.state('results_wm');
          for (const runId of invalidated) {
            const [rows] = await this.pool.query({
              sql: `SELECT ${RESULT_NAMES.join(', ')} FROM results WHERE run_id = ? AND id <= ?`,
              values: [runId, wm],
              rowsAsArray: true,
            });
            stats.rows += await this.appendRows(rows as unknown[][], 0);
          }
          stats.invalidatedRuns = invalidated.length;
        }
        await this.setState('changes_seq', maxSeq);
      });
      this.duck.catalog.reset(); // the store's own id cache must not outlive a catalog copy
      this.runsFingerprint = fp!.f;
    }

    // results, page by page, each page one transaction with its watermark
    const [[{ maxId }]] = (await this.pool.query(
      'SELECT COALESCE(MAX(id), 0) AS maxId FROM results',
    )) as unknown as [[{ maxId: number }]];
    let wm = await this.state('results_wm');
    const floor = wm;
    const total = Math.max(0, Number(maxId) - wm);
    while (wm < Number(maxId)) {
      const [rows] = await this.pool.query({
        sql: `SELECT ${RESULT_NAMES.join(', ')}, created_at < NOW(3) - INTERVAL ${LOOKBACK_SECONDS} SECOND AS settled
              FROM results WHERE id > ? ORDER BY id LIMIT ${PAGE}`,
        values: [wm],
        rowsAsArray: true,
      });
      const page = rows as unknown[][];
      if (page.length === 0) break;
      const lastId = Number(page[page.length - 1]![0]);
      // the watermark only passes rows old enough that no earlier id can still commit
      let safe = wm;
      for (const r of page) {
        if (Number(r[RESULT_COLS.length]) !== 1) break;
        safe = Number(r[0]);
      }
      const added = await this.duck.write(
        async () => {
          const n = await this.appendRows(page, floor);
          await this.setState('results_wm', safe);
          return n;
        },
        (n) => n > 0,
      );
      stats.rows += added;
      wm = lastId;
      onProgress?.(Math.min(total, stats.rows), total);
      if (safe < lastId) break; // younger rows: take them again next time
    }
    this.lastSyncAt = Date.now();
    stats.elapsedMs = performance.now() - t0;
    return stats;
  }

  /** Lag as of now: rows in MySQL beyond what the mirror holds, and seconds since the last sync. */
  async currentLag(): Promise<MirrorLag> {
    const [[{ maxId }]] = (await this.pool.query(
      'SELECT COALESCE(MAX(id), 0) AS maxId FROM results',
    )) as unknown as [[{ maxId: number }]];
    const [row] = await queryRows<{ n: number }>(this.conn, 'SELECT COALESCE(MAX(id), 0) AS n FROM results');
    return {
      rows: Math.max(0, Number(maxId) - Number(row?.n ?? 0)),
      seconds: this.lastSyncAt ? (Date.now() - this.lastSyncAt) / 1000 : Number.POSITIVE_INFINITY,
    };
  }

  /** Appends MySQL result rows (arrays in RESULT_COLS order); rows with id above `floor` already mirrored are skipped. */
  private async appendRows(rows: unknown[][], floor: number): Promise<number> {
    if (rows.length === 0) return 0;
    await this.conn.run(
      `CREATE TEMP TABLE IF NOT EXISTS mirror_staging (${RESULT_COLS.map(([n, t]) => `${n} ${t.toString()}`).join(', ')})`,
    );
    await this.conn.run('DELETE FROM mirror_staging');
    const appender = await this.conn.createAppender('mirror_staging', 'main', 'temp');
    const types = RESULT_COLS.map((c) => c[1]);
    for (const part of chunks(rows, 2048)) {
      const cols: DuckDBValue[][] = RESULT_COLS.map(() => new Array(part.length));
      for (let j = 0; j < part.length; j++) {
        const r = part[j]!;
        cols[0]![j] = BigInt(r[0] as number);
        for (let c = 1; c < RESULT_COLS.length; c++) {
          const v = r[c];
          cols[c]![j] = c === 5 ? (v === null ? null : Number(v) === 1) : (v as DuckDBValue);
        }
      }
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setColumns(cols);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
    const names = RESULT_NAMES.join(', ');
    const r = await this.conn.run(
      `INSERT INTO results (${names}, created_at)
       SELECT ${names}, current_timestamp FROM mirror_staging s
       WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.id > ? AND r.id = s.id)`,
      [floor],
    );
    return Number(r.rowsChanged);
  }

  /** Replaces a small DuckDB table with MySQL's copy (bound parameters, 400 rows a statement). */
  private async copyTable(table: string, cols: string[]): Promise<void> {
    // WARNING: table and column names come from the constant lists above, never from input.
    const [rows] = await this.pool.query({
      sql: `SELECT ${cols.join(', ')} FROM ${table}`,
      rowsAsArray: true,
    });
    await this.conn.run(`DELETE FROM ${table}`);
    for (const part of chunks(rows as unknown[][], 400)) {
      const params = part.flatMap((r) =>
        r.map((v) =>
          v instanceof Date ? v.toISOString() : v !== null && typeof v === 'object' ? JSON.stringify(v) : v,
        ),
      );
      await this.conn.run(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${placeholders(part.length, cols.length)}`,
        params as DuckDBValue[],
      );
    }
  }
}
