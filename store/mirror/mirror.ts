import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection as CallbackConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import { makeScratchDir } from '../../core/scratch.ts';
import { MAX_META_COLS } from '../../core/types.ts';
import type { Db } from '../db.ts';
import type { DuckDbStore } from '../duckdb/duckdb-store.ts';
import { BENCHMARK_FIELDS, BENCHMARKS, ITEMS, MODELS, mirrored, RESULTS, RUNS } from '../schema.ts';
import { type CsvColumn, csvLineExpr, readCsvExpr, replaceFromCsv, writeLines } from './csv.ts';

/** The analytics columns copied per result (response and error text stay in MySQL). */
const RESULT_COLS = mirrored(RESULTS);
const RESULT_NAMES = RESULT_COLS.map((c) => c.name);

/** Small tables copied whole when the catalog changed: [table, columns]. */
const CATALOG_TABLES: [string, CsvColumn[]][] = [
  ['benchmarks', mirrored(BENCHMARKS)],
  ['benchmark_fields', mirrored(BENCHMARK_FIELDS)],
  ['models', mirrored(MODELS)],
  ['items', mirrored(ITEMS)],
];
const RUN_COLS = mirrored(RUNS);

export interface MirrorStats {
  rows: number;
  invalidatedRuns: number;
  catalogCopied: boolean;
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
/** Rows per CSV chunk when a large backlog is copied in one scan. */
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
  private get conn(): Db {
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
          for (const [table, cols] of CATALOG_TABLES) await this.copyTable(table, cols);
          await this.duck.rebuildAllMetaTables();
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
            const [rows] = await this.pool.query({
              sql: `SELECT ${csvLineExpr(RESULT_COLS)} FROM results WHERE run_id = ? AND id <= ?`,
              values: [runId, copied],
              rowsAsArray: true,
            });
            stats.rows += await this.appendCsv(
              (rows as [string][]).map((r) => r[0]),
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
      const [rows] = await this.pool.query({
        sql: `SELECT id, ${csvLineExpr(RESULT_COLS)} AS line FROM results WHERE id > ? AND id <= ? ORDER BY id LIMIT ${PAGE}`,
        values: [seen, maxId],
        rowsAsArray: true,
      });
      const page = rows as [number, string][];
      if (page.length === 0) break;
      const last = Number(page[page.length - 1]![0]);
      const floor = seen;
      const nextWm = Math.max(wm, Math.min(settled, last));
      stats.rows += await this.duck.write(
        async () => {
          const n = await this.appendCsv(
            page.map((r) => r[1]),
            floor,
          );
          await this.setState('results_seen', last);
          await this.setState('results_wm', nextWm);
          return n;
        },
        (n) => n > 0,
      );
      seen = last;
      wm = nextWm;
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
      const [rows] = await this.pool.query({
        sql: `SELECT ${csvLineExpr(RESULT_COLS)} FROM results WHERE id IN (${part.map(() => '?').join(', ')})`,
        values: part,
        rowsAsArray: true,
      });
      n += await this.appendCsv(
        (rows as [string][]).map((r) => r[0]),
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
    const filled = Array.from(
      { length: MAX_META_COLS },
      (_, i) => `CASE WHEN m${i} IS NULL THEN 0 ELSE 1 END`,
    ).join(' + ');
    const queries: [string, (cast: string) => string][] = [
      ['benchmarks', () => 'SELECT id, slug, version, task, cluster_field FROM benchmarks'],
      ['fields', () => 'SELECT benchmark_id, name, col, type, label FROM benchmark_fields'],
      ['models', () => 'SELECT id, name, provider, model_id FROM models'],
      [
        'items',
        (cast) =>
          `SELECT COUNT(*) AS n, CAST(COALESCE(SUM(id), 0) AS ${cast}) AS s, CAST(COALESCE(SUM(${filled}), 0) AS ${cast}) AS f FROM items`,
      ],
    ];
    for (const [, sql] of queries) {
      const [m] = await this.pool.query({ sql: sql('CHAR'), rowsAsArray: true });
      const d = (await this.conn.all<Record<string, unknown>>(sql('VARCHAR'))).map((r) => Object.values(r));
      const canon = (rows: unknown[][]) =>
        rows
          .map((r) => JSON.stringify(r.map((v) => (v === null || v === undefined ? null : String(v)))))
          .sort()
          .join('\n');
      if (canon(m as unknown[][]) !== canon(d as unknown[][])) return true;
    }
    return false;
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

  /** Streams rows with ids in (from, to] in clustered order and appends them in CSV chunks. Call inside a write. */
  private async scanCopy(from: number, to: number, onRows: (done: number) => void): Promise<number> {
    // With no row above `from` in DuckDB yet (a fresh mirror, or a catch-up past everything), the scan
    // is the only source of these ids and yields each once: no anti-join against what the scan itself
    // appended (which made every chunk's INSERT slower than the one before). We hold the write lock.
    const [above] = await this.conn.all<{ n: number }>(
      'SELECT count(*) AS n FROM results WHERE id > ? AND id <= ?',
      [from, to],
    );
    const guard = Number(above?.n ?? 0) > 0;
    const conn = await this.pool.getConnection();
    let added = 0;
    let read = 0;
    let lines: string[] = [];
    let chunk = 0;
    // one chunk is parsed by DuckDB (in its own threads) while the next one streams in
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async () => {
      const part = lines;
      const file = join(this.tmp, `scan-${chunk++ % 2}.csv`);
      lines = [];
      await inFlight;
      writeLines(file, part);
      inFlight = this.appendCsvFile(file, from, guard).then((n) => {
        added += n;
        read += part.length;
        onRows(read);
      });
    };
    try {
      // the callback connection under the promise wrapper streams rows as they arrive
      const stream = (conn.connection as unknown as CallbackConnection)
        .query({
          sql: `SELECT ${csvLineExpr(RESULT_COLS)} FROM results IGNORE INDEX (ix_results_id) WHERE id > ? AND id <= ?`,
          values: [from, to],
          rowsAsArray: true,
        })
        .stream({ highWaterMark: 5000 });
      for await (const row of stream as AsyncIterable<[string]>) {
        lines.push(row[0]);
        if (lines.length >= SCAN_CHUNK) await flush();
      }
      if (lines.length > 0) await flush();
      await inFlight;
    } finally {
      await inFlight.catch(() => undefined);
      conn.release();
    }
    return added;
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
    for (let i = 0; i < missing.length; i += 10_000) {
      const part = missing.slice(i, i + 10_000);
      const [rows] = await this.pool.query({
        sql: `SELECT ${csvLineExpr(RESULT_COLS)} FROM results WHERE id IN (${part.map(() => '?').join(', ')})`,
        values: part,
        rowsAsArray: true,
      });
      added += await this.duck.write(
        () =>
          this.appendCsv(
            (rows as [string][]).map((r) => r[0]),
            from,
          ),
        (n) => n > 0,
      );
    }
    return added;
  }

  /** Appends result rows given as CSV lines; rows with an id above `floor` already mirrored are skipped. */
  private async appendCsv(lines: string[], floor: number): Promise<number> {
    if (lines.length === 0) return 0;
    const file = join(this.tmp, 'results.csv');
    writeLines(file, lines);
    return this.appendCsvFile(file, floor);
  }

  private async appendCsvFile(file: string, floor: number, guard = true): Promise<number> {
    const names = RESULT_NAMES.join(', ');
    const r = guard
      ? await this.conn.run(
          `INSERT INTO results (${names}, created_at)
           SELECT ${names}, current_timestamp FROM ${readCsvExpr(RESULT_COLS)} s
           WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.id > ? AND r.id = s.id)`,
          [file, floor],
        )
      : await this.conn.run(
          `INSERT INTO results (${names}, created_at)
           SELECT ${names}, current_timestamp FROM ${readCsvExpr(RESULT_COLS)} s`,
          [file],
        );
    return r;
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
