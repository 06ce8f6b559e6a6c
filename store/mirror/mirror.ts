import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection as CallbackConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import { makeScratchDir } from '../../core/scratch.ts';
import { MAX_META_COLS } from '../../core/types.ts';
import type { DuckDb } from '../duckdb/connection.ts';
import type { DuckDbStore } from '../duckdb/duckdb-store.ts';
import { BENCHMARK_FIELDS, BENCHMARKS, ITEMS, MODELS, mirrored, RESULTS, RUNS } from '../schema.ts';
import { ChunkAppender } from './binary.ts';
import { type CsvColumn, csvLineExpr, replaceFromCsv, writeLines } from './csv.ts';
import { streamRows } from './stream-rows.ts';

/** The analytics columns copied per result (response and error text stay in MySQL). */
const RESULT_COLS = mirrored(RESULTS);
const RESULT_NAMES = RESULT_COLS.map((c) => c.name);
/** The SELECT list of a result row, in RESULT_NAMES order (columns from the schema module, never input). */
const RESULT_LIST = RESULT_NAMES.join(', ');
const ITEM_NAMES = mirrored(ITEMS).map((c) => c.name);

/** Small tables copied whole (as CSV) when the catalog changed: [table, columns]. Items go binary. */
const CATALOG_TABLES: [string, CsvColumn[]][] = [
  ['benchmarks', mirrored(BENCHMARKS)],
  ['benchmark_fields', mirrored(BENCHMARK_FIELDS)],
  ['models', mirrored(MODELS)],
];
/** The temp table a page is staged in when some of its ids may be mirrored already. */
const STAGE = 'mirror_stage';
const RUN_COLS = mirrored(RUNS);

export interface MirrorStats {
  rows: number;
  invalidatedRuns: number;
  catalogCopied: boolean;
  /** Milliseconds this pass spent copying the catalog tables (items included), when it did. */
  catalogMs: number;
  runsCopied: boolean;
  /** True when this pass compared per-run counts and id sums with MySQL (see Mirror.reconcile). */
  reconciled: boolean;
  /** Rows the reconciliation copied or removed: what the incremental copy had missed. */
  repairedRows: number;
  elapsedMs: number;
}

export interface MirrorOptions {
  /**
   * Seconds after which the incremental copy treats an id as committed-or-never (default 10). Only a
   * speed matter: a transaction open longer is caught by the reconciliation, whatever this is.
   */
  lookbackSeconds?: number;
  /** Milliseconds between reconciliations (default 60 s; 0: every pass). The first one is due this long after construction. */
  reconcileIntervalMs?: number;
}

export interface MirrorLag {
  rows: number;
  seconds: number;
}

/** Items with ids up to `upTo`: count, id sum and the number of metadata values filled in (`cast`: the engine's text type). */
function itemsDigest(cast: string, upTo: number): string {
  const filled = Array.from(
    { length: MAX_META_COLS },
    (_, i) => `CASE WHEN m${i} IS NULL THEN 0 ELSE 1 END`,
  ).join(' + ');
  // an integer from the mirror's own table, never input
  return `SELECT COUNT(*) AS n, CAST(COALESCE(SUM(id), 0) AS ${cast}) AS s, CAST(COALESCE(SUM(${filled}), 0) AS ${cast}) AS f FROM items WHERE id <= ${Math.trunc(upTo)}`;
}

/** Rows per page: each page commits with its watermark, so a killed sync resumes where it stopped. */
const PAGE = 100_000;
/**
 * Rows younger than this are read again on the next sync: an auto-increment id is taken at
 * insert, not at commit, so a slower transaction can commit a lower id after a higher one.
 * A transaction open for longer is repaired by the reconciliation (Mirror.reconcile).
 */
const LOOKBACK_SECONDS = 10;
const RECONCILE_INTERVAL_MS = 60_000;
/** Ids per statement when the reconciliation copies or removes rows. */
const REPAIR_CHUNK = 10_000;
/** Rows between progress reports while a large backlog is copied in one scan. */
const SCAN_CHUNK = 250_000;

/**
 * Incremental copy of MySQL into the DuckDB mirror: results by an id watermark (kept in DuckDB
 * in the same transaction as the rows), run-level invalidation from MySQL's `changes` log,
 * catalog tables copied whole when they change. Ids and change numbers are taken at insert, not at
 * commit, so the watermark alone could pass a row whose transaction commits later; completeness comes
 * from a periodic exact reconciliation of per-run counts and id sums (and the catalog's), which repairs
 * any gap whatever the transaction's length.
 */
export class Mirror {
  private runsFingerprint = '';
  private lastSyncAt = 0;
  /** (MySQL's max id, MySQL's clock) at each sync: ids older than the lookback have settled. */
  private readonly checkpoints: { maxId: number; at: number }[] = [];

  private readonly tmp = makeScratchDir('mirror');
  private readonly lookbackSeconds: number;
  private readonly reconcileIntervalMs: number;
  private lastReconcileAt: number;

  constructor(
    private readonly pool: mysql.Pool,
    private readonly duck: DuckDbStore,
    options: MirrorOptions = {},
  ) {
    this.lookbackSeconds = options.lookbackSeconds ?? LOOKBACK_SECONDS;
    this.reconcileIntervalMs = options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS;
    this.lastReconcileAt = Date.now();
  }

  /** Removes the scratch folder the CSV pages pass through. */
  dispose(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }

  /** The DuckDB store's writer: only inside `this.duck.write`, which serializes and commits it. */
  private get conn(): DuckDb {
    return this.duck.db;
  }

  private async state(key: string): Promise<number> {
    const [row] = await this.conn.all<{ v: number }>('SELECT v FROM mirror_state WHERE k = ?', [key]);
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
      catalogMs: 0,
      runsCopied: false,
      reconciled: false,
      repairedRows: 0,
      elapsedMs: 0,
    };
    const reconcile = Date.now() - this.lastReconcileAt >= this.reconcileIntervalMs;
    const catalogDrift = reconcile && (await this.catalogDiffers());
    const lastSeq = await this.state('changes_seq');
    const [changes] = await this.pool.query(
      'SELECT seq, kind, run_id FROM changes WHERE seq > ? ORDER BY seq',
      [lastSeq],
    );
    const list = changes as { seq: number; kind: string; run_id: number | null }[];
    const maxSeq = list.length ? Number(list[list.length - 1]!.seq) : lastSeq;
    const catalogChanged =
      catalogDrift || list.some((c) => c.kind === 'catalog') || (await this.state('catalog_copied')) === 0;
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
          const tc = performance.now();
          for (const [table, cols] of CATALOG_TABLES) await this.copyTable(table, cols);
          await this.syncItems();
          await this.duck.rebuildAllMetaTables();
          stats.catalogMs = performance.now() - tc;
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
          // everything the mirror has passed: later ids arrive with the incremental copy below
          const copied = Math.max(await this.state('results_wm'), await this.state('results_seen'));
          for (const runId of invalidated) {
            stats.rows += await this.appendSelect(
              `SELECT ${RESULT_LIST} FROM results WHERE run_id = ? AND id <= ?`,
              [runId, copied],
              0,
            );
          }
          stats.invalidatedRuns = invalidated.length;
        }
        await this.setState('changes_seq', maxSeq);
      });
      this.duck.catalog.reset(); // the store's own id cache must not outlive a catalog copy
      this.runsFingerprint = fp!.f;
    }

    // Results. `results_seen` is the highest id copied; `results_wm` the highest id below which
    // every row is known to be committed. Ids are taken at insert, not at commit, so a slow
    // transaction can commit ids below `results_seen`: the range between the two is checked again
    // (ids only, from the id index) on every sync until it has settled.
    const [[now]] = (await this.pool.query(
      'SELECT COALESCE(MAX(id), 0) AS maxId, UNIX_TIMESTAMP(NOW(3)) AS at FROM results',
    )) as unknown as [[{ maxId: number; at: number }]];
    const maxId = Number(now!.maxId);
    this.checkpoints.push({ maxId, at: Number(now!.at) });
    const settled = await this.settledId(Number(now!.at), maxId);
    let wm = await this.state('results_wm');
    let seen = Math.max(wm, await this.state('results_seen'));
    if (seen > wm) stats.rows += await this.recheck(wm, seen);
    const total = Math.max(0, maxId - seen);
    if (await this.mostlyNew(seen, maxId)) {
      // Most of the table is new (a first sync, a bulk import): one scan of the clustered index
      // beats walking the id index, which costs a primary-key lookup per row.
      const nextWm = Math.max(wm, Math.min(settled, maxId));
      const floor = seen;
      stats.rows += await this.duck.write(
        async () => {
          const n = await this.scanCopy(floor, maxId, (d) => onProgress?.(Math.min(total, d), total));
          await this.setState('results_seen', maxId);
          await this.setState('results_wm', nextWm);
          return n;
        },
        (n) => n > 0,
      );
      seen = maxId;
      wm = nextWm;
    }
    while (seen < maxId) {
      const floor = seen;
      // the page streams into the stage under the write lock, and commits with its watermark
      const page = await this.duck.write(
        async () => {
          const staged = await this.stageSelect(
            `SELECT ${RESULT_LIST} FROM results WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE}`,
            [floor, maxId],
          );
          if (staged.rows === 0) return { ...staged, added: 0 };
          const added = await this.insertStaged(floor);
          await this.setState('results_seen', staged.maxId);
          await this.setState('results_wm', Math.max(wm, Math.min(settled, staged.maxId)));
          return { ...staged, added };
        },
        (p) => p.added > 0,
      );
      if (page.rows === 0) break;
      stats.rows += page.added;
      seen = page.maxId;
      wm = Math.max(wm, Math.min(settled, page.maxId));
      onProgress?.(Math.min(total, stats.rows), total);
    }
    if (settled > wm && seen >= settled) {
      await this.duck.write(
        () => this.setState('results_wm', settled),
        () => false,
      );
    }
    if (reconcile) {
      stats.repairedRows = await this.reconcile();
      stats.reconciled = true;
    }
    this.lastSyncAt = Date.now();
    stats.elapsedMs = performance.now() - t0;
    return stats;
  }

  /**
   * Makes the mirror's results equal to MySQL's up to the highest id it has passed, whatever committed
   * late: per run, the count and the sum of ids on both sides; a run that differs gets its missing ids
   * copied and ids MySQL no longer has removed. Rows are immutable in MySQL (only inserted and deleted),
   * and copied by id, so equal id sets mean equal rows. Returns the rows copied or removed.
   * Cost: one grouped scan of MySQL's results (the id index) and of the mirror's, per call.
   */
  async reconcile(): Promise<number> {
    this.lastReconcileAt = Date.now();
    const seen = Math.max(await this.state('results_wm'), await this.state('results_seen'));
    const perRun =
      'run_id, COUNT(*) AS n, CAST(SUM(id) AS CHAR) AS s FROM results WHERE id <= ? GROUP BY run_id';
    const [mysqlRows] = await this.pool.query(`SELECT ${perRun}`, [seen]);
    const duckRows = await this.conn.all<{ run_id: number; n: number; s: string }>(
      `SELECT ${perRun.replace('AS CHAR', 'AS VARCHAR')}`,
      [seen],
    );
    const sums = (rows: { run_id: number; n: number; s: string }[]) =>
      new Map(rows.map((r) => [Number(r.run_id), `${Number(r.n)}:${r.s}`]));
    const want = sums(mysqlRows as { run_id: number; n: number; s: string }[]);
    const have = sums(duckRows);
    const differ = [...new Set([...want.keys(), ...have.keys()])].filter((r) => want.get(r) !== have.get(r));
    if (differ.length === 0) return 0;
    return this.duck.write(
      async () => {
        let repaired = 0;
        for (const runId of differ) repaired += await this.repairRun(runId, seen);
        return repaired;
      },
      (n) => n > 0,
    );
  }

  /** Copies the run's ids (≤ upTo) the mirror lacks and removes those MySQL lacks. Call inside a write. */
  private async repairRun(runId: number, upTo: number): Promise<number> {
    const [idRows] = await this.pool.query({
      sql: 'SELECT id FROM results WHERE run_id = ? AND id <= ?',
      values: [runId, upTo],
      rowsAsArray: true,
    });
    const inMysql = new Set((idRows as [number][]).map((r) => Number(r[0])));
    const inDuck = new Set(
      (
        await this.conn.all<{ id: number }>('SELECT id FROM results WHERE run_id = ? AND id <= ?', [
          runId,
          upTo,
        ])
      ).map((r) => Number(r.id)),
    );
    const missing = [...inMysql].filter((id) => !inDuck.has(id));
    const extra = [...inDuck].filter((id) => !inMysql.has(id));
    let n = 0;
    for (let i = 0; i < missing.length; i += REPAIR_CHUNK) {
      const part = missing.slice(i, i + REPAIR_CHUNK);
      n += await this.appendSelect(
        `SELECT ${RESULT_LIST} FROM results WHERE id IN (${part.map(() => '?').join(', ')})`,
        part,
        0,
      );
    }
    for (let i = 0; i < extra.length; i += REPAIR_CHUNK) {
      const part = extra.slice(i, i + REPAIR_CHUNK);
      n += Number(
        await this.conn.run(`DELETE FROM results WHERE id IN (${part.map(() => '?').join(', ')})`, part),
      );
    }
    return n;
  }

  /**
   * True when the mirror's catalog is not MySQL's (a change logged by a transaction that committed after
   * the mirror read past its number): small tables compared row by row, items by count, id sum and the
   * number of metadata values filled in.
   */
  private async catalogDiffers(): Promise<boolean> {
    const queries: ((cast: string) => string)[] = [
      () => 'SELECT id, slug, version, task, cluster_field FROM benchmarks',
      () => 'SELECT benchmark_id, name, col, type, label FROM benchmark_fields',
      () => 'SELECT id, name, provider, model_id FROM models',
      (cast) => itemsDigest(cast, Number.MAX_SAFE_INTEGER),
    ];
    for (const sql of queries) {
      if (await this.differs(sql)) return true;
    }
    return false;
  }

  /** True when a query (given the engine's text type) answers differently on the two engines, rows in any order. */
  private async differs(sql: (cast: string) => string): Promise<boolean> {
    const [m] = await this.pool.query({ sql: sql('CHAR'), rowsAsArray: true });
    const d = (await this.conn.all<Record<string, unknown>>(sql('VARCHAR'))).map((r) => Object.values(r));
    const canon = (rows: unknown[][]) =>
      rows
        .map((r) => JSON.stringify(r.map((v) => (v === null || v === undefined ? null : String(v)))))
        .sort()
        .join('\n');
    return canon(m as unknown[][]) !== canon(d as unknown[][]);
  }

  /** Lag as of now: rows in MySQL beyond what the mirror holds, and seconds since the last sync. */
  async currentLag(): Promise<MirrorLag> {
    const [[{ maxId }]] = (await this.pool.query(
      'SELECT COALESCE(MAX(id), 0) AS maxId FROM results',
    )) as unknown as [[{ maxId: number }]];
    const [row] = await this.conn.all<{ n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM results');
    return {
      rows: Math.max(0, Number(maxId) - Number(row?.n ?? 0)),
      seconds: this.lastSyncAt ? (Date.now() - this.lastSyncAt) / 1000 : Number.POSITIVE_INFINITY,
    };
  }

  /**
   * The id below which rows are taken as committed: the max id seen at a sync at least the lookback
   * ago, or every id when the newest row is already that old. A transaction open for longer commits
   * below it; the reconciliation finds those rows.
   */
  private async settledId(nowAt: number, maxId: number): Promise<number> {
    const [[newest]] = (await this.pool.query(
      'SELECT UNIX_TIMESTAMP(created_at) AS at FROM results ORDER BY id DESC LIMIT 1',
    )) as unknown as [[{ at: number } | undefined]];
    const lookback = this.lookbackSeconds;
    if (!newest || nowAt - Number(newest.at) > lookback) return maxId;
    let settled = 0;
    while (this.checkpoints.length > 0 && nowAt - this.checkpoints[0]!.at > lookback) {
      settled = Math.max(settled, this.checkpoints.shift()!.maxId);
    }
    if (settled > 0) this.checkpoints.unshift({ maxId: settled, at: nowAt - lookback - 1 });
    return settled;
  }

  /** True when more than half of MySQL's id range is above `seen`, and it is more than a page. */
  private async mostlyNew(seen: number, maxId: number): Promise<boolean> {
    if (maxId - seen <= PAGE) return false;
    const [[row]] = (await this.pool.query(
      'SELECT COALESCE(MIN(id), 0) AS minId FROM results',
    )) as unknown as [[{ minId: number }]];
    return (maxId - seen) * 2 > maxId - Number(row!.minId) + 1;
  }

  /** Streams rows with ids in (from, to] in clustered order straight into DuckDB's appender. Call inside a write. */
  private async scanCopy(from: number, to: number, onRows: (done: number) => void): Promise<number> {
    // With no row above `from` in DuckDB yet (a fresh mirror, or a catch-up past everything), the scan
    // is the only source of these ids and yields each once: rows go straight into `results`, with no
    // anti-join against what the scan itself appended. Otherwise they are staged and joined once.
    const [above] = await this.conn.all<{ n: number }>(
      'SELECT count(*) AS n FROM results WHERE id > ? AND id <= ?',
      [from, to],
    );
    const guard = Number(above?.n ?? 0) > 0;
    const sql = `SELECT ${RESULT_LIST} FROM results IGNORE INDEX (ix_results_id) WHERE id > ? AND id <= ?`;
    if (guard) {
      await this.stageSelect(sql, [from, to], onRows);
      return this.insertStaged(from);
    }
    return this.intoAppender('results', sql, [from, to], false, onRows);
  }

  /**
   * Streams a SELECT (binary protocol) into an appender on `table` (`results`, `items` or the stage),
   * chunk by chunk as rows arrive. Call inside a write: the rows belong to its transaction.
   */
  private async intoAppender(
    table: string,
    sql: string,
    values: readonly unknown[],
    temp: boolean,
    onRows?: (done: number) => void,
    names: readonly string[] = RESULT_NAMES,
    onRow?: (row: unknown[]) => void,
  ): Promise<number> {
    const appender = await ChunkAppender.open(this.conn.conn, table, names, temp);
    const conn = await this.pool.getConnection();
    let n = 0;
    try {
      // IN lists vary in length: those statements are closed after use
      await streamRows(
        conn.connection as unknown as CallbackConnection,
        sql,
        values,
        (row) => {
          appender.add(row);
          onRow?.(row);
          if (onRows && ++n % SCAN_CHUNK === 0) onRows(n);
        },
        { unprepare: sql.includes(' IN (') },
      );
    } finally {
      conn.release();
      appender.close();
    }
    onRows?.(appender.rows);
    return appender.rows;
  }

  /** Streams result rows into the (emptied) stage; returns how many and the highest id. Call inside a write. */
  private async stageSelect(
    sql: string,
    values: readonly unknown[],
    onRows?: (done: number) => void,
  ): Promise<{ rows: number; maxId: number }> {
    await this.conn.run(
      `CREATE TEMP TABLE IF NOT EXISTS ${STAGE} AS SELECT ${RESULT_LIST} FROM results LIMIT 0`,
    );
    await this.conn.run(`DELETE FROM ${STAGE}`);
    let maxId = 0;
    const rows = await this.intoAppender(STAGE, sql, values, true, onRows, RESULT_NAMES, (row) => {
      const id = Number(row[0]);
      if (id > maxId) maxId = id;
    });
    return { rows, maxId };
  }

  /** Moves the stage into `results`, skipping ids above `floor` the mirror holds already. Call inside a write. */
  private async insertStaged(floor: number): Promise<number> {
    return this.conn.run(
      `INSERT INTO results (${RESULT_LIST}, created_at)
       SELECT ${RESULT_LIST}, current_timestamp FROM ${STAGE} s
       WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.id > ? AND r.id = s.id)`,
      [floor],
    );
  }

  /** Result rows of a SELECT appended to `results`, skipping ids above `floor` already mirrored. Call inside a write. */
  private async appendSelect(sql: string, values: readonly unknown[], floor: number): Promise<number> {
    const { rows } = await this.stageSelect(sql, values);
    return rows === 0 ? 0 : this.insertStaged(floor);
  }

  /** Copies rows with ids in (from, to] that committed after the mirror passed them. */
  private async recheck(from: number, to: number): Promise<number> {
    const [idRows] = await this.pool.query({
      sql: 'SELECT id FROM results WHERE id > ? AND id <= ?',
      values: [from, to],
      rowsAsArray: true,
    });
    const have = new Set(
      (
        await this.conn.all<{ id: number }>('SELECT id FROM results WHERE id > ? AND id <= ?', [from, to])
      ).map((r) => Number(r.id)),
    );
    const missing = (idRows as [number][]).map((r) => Number(r[0])).filter((id) => !have.has(id));
    let added = 0;
    for (let i = 0; i < missing.length; i += REPAIR_CHUNK) {
      const part = missing.slice(i, i + REPAIR_CHUNK);
      added += await this.duck.write(
        () =>
          this.appendSelect(
            `SELECT ${RESULT_LIST} FROM results WHERE id IN (${part.map(() => '?').join(', ')})`,
            part,
            from,
          ),
        (n) => n > 0,
      );
    }
    return added;
  }

  /**
   * Brings the mirror's items to MySQL's. Items are only inserted, or given a metadata value they lacked
   * (store/catalog.ts), never deleted: when the items up to the mirror's highest id agree on both sides
   * (count, id sum, values filled in), only the ids above it are copied; otherwise (an item committed
   * after a higher one was copied, a value filled in since) all of them. Call inside a write.
   */
  private async syncItems(): Promise<void> {
    const [row] = await this.conn.all<{ n: number }>('SELECT COALESCE(MAX(id), 0) AS n FROM items');
    let above = Number(row?.n ?? 0);
    if (above > 0 && (await this.differs((cast) => itemsDigest(cast, above)))) {
      await this.conn.run('DELETE FROM items');
      above = 0;
    }
    // WARNING: column names from the schema module, never input
    await this.intoAppender(
      'items',
      `SELECT ${ITEM_NAMES.join(', ')} FROM items WHERE id > ?`,
      [above],
      false,
      undefined,
      ITEM_NAMES,
    );
  }

  /** Replaces a small DuckDB table with MySQL's copy. */
  private async copyTable(table: string, cols: CsvColumn[]): Promise<void> {
    // WARNING: table and column names come from the constant lists above, never from input.
    const [rows] = await this.pool.query({
      sql: `SELECT ${csvLineExpr(cols)} FROM ${table}`,
      rowsAsArray: true,
    });
    const file = join(this.tmp, `${table}.csv`);
    writeLines(
      file,
      (rows as string[][]).map((r) => r[0]),
    );
    await replaceFromCsv(this.conn, table, cols, file);
  }
}
