/**
 * MySQL's bulk path: the file is staged and checked by an in-process DuckDB (the same stage as the
 * embedded store's, core/store.ts BulkStage) and registered by the same code (store/duckdb/bulk-register.ts);
 * DuckDB then writes items and results as files that MySQL reads with LOAD DATA LOCAL INFILE, the
 * fastest way into InnoDB. Results are sorted by their primary key first, so InnoDB appends to its
 * clustered index instead of splitting pages all over it.
 *
 * Guarantees: the results of the file are one LOAD DATA in one transaction (all or nothing; a killed
 * process's connection rolls it back), insert-if-absent on (run, item, sample) with the first record of a
 * key winning, and a value MySQL would alter is an error (the write rolls back and the record path reads
 * the file). Items, like the record path's, are registered in a transaction of their own before.
 */

import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection as CallbackConnection } from 'mysql2';
import type mysql from 'mysql2/promise';
import { makeScratchDir } from '../../core/scratch.ts';
import type { BulkStage, BulkStats } from '../../core/store.ts';
import { type Catalog, MASK_SQL } from '../catalog.ts';
import { lit } from '../db.ts';
import {
  type Abortable,
  all,
  firstOfKey,
  int,
  RESULT_NAMES,
  type Registered,
  registerStaged,
  resultValues,
  run,
  stagedResultsFrom,
  statsOf,
} from '../duckdb/bulk-register.ts';
import { DuckDb, openDuckDbInstance } from '../duckdb/connection.ts';
import { connectionKysely } from '../kysely-mysql.ts';
import { type CsvColumn, csvLineExpr, readCsvExpr } from '../mirror/csv.ts';
import { streamRows } from '../mirror/stream-rows.ts';
import { WRITTEN_RESULT_COLUMNS } from '../schema.ts';
import { checkWarnings } from './append.ts';
import { duckdbCopyOptions, loadFile } from './load-data.ts';

/** The results' staged values (a BOOLEAN is TINYINT here). */
const RESULT_VALUES = resultValues({ correct: 'TINYINT' });
const RESULT_TEXT = WRITTEN_RESULT_COLUMNS.filter((c) => c.duckdb === 'VARCHAR').map((c) => c.name);

/** The keys of stored results of the file's runs. */
const STORED: CsvColumn[] = [
  { name: 'run_id', duckdb: 'INTEGER' },
  { name: 'item_id', duckdb: 'INTEGER' },
  { name: 'sample', duckdb: 'INTEGER' },
];

/** The stored items of the file's benchmarks, read into DuckDB (the mask: store/catalog.ts MASK_SQL). */
const KNOWN: CsvColumn[] = [
  { name: 'benchmark_id', duckdb: 'INTEGER' },
  { name: 'item_key', duckdb: 'VARCHAR' },
  { name: 'id', duckdb: 'INTEGER' },
  { name: 'mask', duckdb: 'INTEGER' },
];

export interface MysqlBulkTarget {
  pool: mysql.Pool;
  catalog: Catalog;
  /** Tells the mirror that the catalog changed (store/mysql/mysql-store.ts). */
  logCatalogChange(): Promise<void>;
  /** The staging DuckDB's memory limit (DUCKDB_MEMORY_LIMIT). */
  memoryLimit?: string | undefined;
}

export async function mysqlBulkAppend(target: MysqlBulkTarget, stage: BulkStage): Promise<BulkStats | null> {
  const o: Abortable = { signal: stage.signal };
  const dir = makeScratchDir('import');
  // the staging database spills to the scratch folder rather than growing with the file
  const instance = await openDuckDbInstance(':memory:', {
    memoryLimit: target.memoryLimit,
    tempDirectory: join(dir, 'spill'),
  });
  const duck = new DuckDb(await instance.connect());
  try {
    const staged = await stage.stage(duck);
    if (!staged) return null;
    const reg = await registerStaged(duck, target.catalog, staged.metaFields, stage.source, o);
    if (!reg) return { rows: 0, inserted: 0, duplicates: 0, runs: 0, benchmarks: 0, models: 0 };
    return await write(target, duck, reg, dir, o, stage.onCommit);
  } catch (err) {
    target.catalog.reset(); // its cache may name what a rollback removed
    throw err;
  } finally {
    duck.conn.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function write(
  target: MysqlBulkTarget,
  duck: DuckDb,
  reg: Registered,
  dir: string,
  o: Abortable,
  hook: BulkStage['onCommit'],
): Promise<BulkStats> {
  const conn = await target.pool.getConnection();
  // an abort ends the connection: the server rolls back what it was writing
  let destroyed = false;
  const stop = () => {
    destroyed = true;
    conn.destroy();
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  // told at once, whatever happens next: the registered names stay even if the write fails
  const logChanged = async () => {
    if (!target.catalog.changed) return;
    await target.logCatalogChange();
    target.catalog.changed = false;
    target.catalog.changedBenchmarks.clear();
  };
  try {
    await logChanged();
    const changedItems = await writeItems(duck, conn, reg, dir, o);
    if (changedItems) for (const b of reg.benchmarks) target.catalog.itemsWritten(b.id);
    await logChanged();
    o.signal?.throwIfAborted();
    return await writeResults(duck, conn, reg, dir, o, hook);
  } catch (err) {
    if (!destroyed) await conn.query('ROLLBACK').catch(() => undefined);
    // items may have committed before the failure: the mirror reads the catalog again either way
    await target.logCatalogChange().catch(() => undefined);
    throw o.signal?.aborted ? (o.signal.reason ?? err) : err;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    if (!destroyed) {
      await conn.query('DROP TEMPORARY TABLE IF EXISTS bulk_fill').catch(() => undefined);
      conn.release();
    }
  }
}

/**
 * The stored items of the file's benchmarks come into DuckDB (`bulk_known`: id, key and which positional
 * columns hold a value); the file's new items go straight into `items` with one LOAD DATA … IGNORE (a
 * concurrent import may add the same item meanwhile), and known items gain values for positional columns
 * they had none for. The new ids are read back, so `bulk_known` maps every item of the file to its id.
 * True when items were added or filled.
 */
async function writeItems(
  duck: DuckDb,
  conn: mysql.PoolConnection,
  reg: Registered,
  dir: string,
  o: Abortable,
): Promise<boolean> {
  const { positional } = reg;
  const bids = reg.benchmarks.map((b) => b.id);
  const metaCols = positional.map((p) => `m${p.col}`);
  const known = (where: string) =>
    `SELECT ${csvLineExpr(KNOWN)} FROM (SELECT benchmark_id, item_key, id, ${MASK_SQL} AS mask FROM items
     WHERE benchmark_id IN (${bids.map(() => '?').join(', ')}) ${where}) t`;
  await linesInto(duck, conn, 'bulk_known', KNOWN, known(''), bids, join(dir, 'known.csv'), o);
  const [{ top } = { top: 0 }] = await all<{ top: number }>(
    duck,
    'SELECT coalesce(max(id), 0)::BIGINT AS top FROM bulk_known',
  );
  const onKnown = 'k.benchmark_id = s.benchmark_id AND k.item_key = s.item_key';

  const cols = ['benchmark_id', 'item_key', 'input', 'reference', 'metadata', ...metaCols];
  const newFile = join(dir, 'items.tsv');
  const fresh = await run(
    duck,
    `COPY (SELECT s.benchmark_id, s.item_key, s.input, s.reference, s.metadata${positional.map((p) => `, ${p.expr} AS m${p.col}`).join('')}
           FROM bulk_items_b s ANTI JOIN bulk_known k ON ${onKnown} ORDER BY s.benchmark_id, s.item_key)
     TO ${lit(newFile)} ${duckdbCopyOptions(cols.slice(1))}`,
    [],
    o,
  );
  const fillFile = join(dir, 'fill.tsv');
  const gaps =
    metaCols.length === 0
      ? 0
      : await run(
          duck,
          `COPY (SELECT k.id${positional.map((p) => `, ${p.expr} AS m${p.col}`).join('')}
                 FROM bulk_items_b s JOIN bulk_known k ON ${onKnown}
                 WHERE ${positional.map((p) => `(k.mask & ${1 << p.col} = 0 AND ${p.expr} IS NOT NULL)`).join(' OR ')})
           TO ${lit(fillFile)} ${duckdbCopyOptions(metaCols)}`,
          [],
          o,
        );
  let added = 0;
  let filled = 0;
  await conn.beginTransaction();
  if (fresh > 0) {
    const res = await loadFile(conn, 'items', cols, newFile, true);
    await checkWarnings(conn, res, fresh);
    added = res.affectedRows;
  }
  if (gaps > 0) {
    // the gaps' values in a temporary table with items' own column types, then one UPDATE (never overwriting)
    await conn.query('DROP TEMPORARY TABLE IF EXISTS bulk_fill');
    await conn.query(
      `CREATE TEMPORARY TABLE bulk_fill (PRIMARY KEY (id)) SELECT id, ${metaCols.join(', ')} FROM items WHERE FALSE`,
    );
    const res = await loadFile(conn, 'bulk_fill', ['id', ...metaCols], fillFile, false);
    if (res.affectedRows !== gaps || res.warningStatus > 0)
      throw new Error(
        `MySQL would not take the items' values as given (${res.affectedRows} of ${gaps} read)`,
      );
    const [up] = await conn.query(
      `UPDATE items i JOIN bulk_fill f ON i.id = f.id
       SET ${metaCols.map((c) => `i.${c} = COALESCE(i.${c}, f.${c})`).join(', ')}`,
    );
    filled = (up as mysql.ResultSetHeader).affectedRows;
  }
  await conn.commit();

  if (fresh > 0) {
    // new ids are above every id read before, unless a concurrent transaction committed a lower one
    // late: then every item is read again
    await linesInto(
      duck,
      conn,
      'bulk_known',
      KNOWN,
      known('AND id > ?'),
      [...bids, top],
      join(dir, 'new.csv'),
      o,
      true,
    );
    const [{ missing } = { missing: 0 }] = await all<{ missing: number }>(
      duck,
      `SELECT count(*)::INTEGER AS missing FROM bulk_items_b s ANTI JOIN bulk_known k ON ${onKnown}`,
    );
    if (int(missing) > 0)
      await linesInto(duck, conn, 'bulk_known', KNOWN, known(''), bids, join(dir, 'known.csv'), o);
  }
  return added > 0 || filled > 0;
}

/**
 * The lines MySQL renders for `sql` (one CSV line a row, the mirror's transport), streamed to a file,
 * into a DuckDB temp table with `columns` (replaced, or appended to with `append`).
 */
async function linesInto(
  duck: DuckDb,
  conn: mysql.PoolConnection,
  table: string,
  columns: CsvColumn[],
  sql: string,
  params: unknown[],
  file: string,
  o: Abortable,
  append = false,
): Promise<void> {
  const fd = openSync(file, 'w');
  try {
    let buf = '';
    await streamRows(
      conn.connection as unknown as CallbackConnection,
      sql,
      params,
      (row) => {
        buf += `${row[0]}\n`;
        if (buf.length > 1 << 20) {
          writeSync(fd, buf);
          buf = '';
        }
      },
      { unprepare: true },
    );
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  const read = `SELECT * FROM ${readCsvExpr(columns)}`;
  await run(
    duck,
    append ? `INSERT INTO ${table} ${read}` : `CREATE OR REPLACE TEMP TABLE ${table} AS ${read}`,
    [file],
    o,
  );
}

/**
 * The results, sorted by their key, in one LOAD DATA … IGNORE and one transaction. Keys stored already
 * (a file imported again, or the rest of an interrupted record-path import) are left out in DuckDB
 * first: cheaper than as many duplicate-key warnings.
 */
async function writeResults(
  duck: DuckDb,
  conn: mysql.PoolConnection,
  reg: Registered,
  dir: string,
  o: Abortable,
  hook: BulkStage['onCommit'],
): Promise<BulkStats> {
  const runIds = reg.runs.map((r) => r.id);
  const marks = runIds.map(() => '?').join(', ');
  const [withRows] = await conn.query({
    sql: `SELECT DISTINCT run_id FROM results WHERE run_id IN (${marks})`,
    values: runIds,
    rowsAsArray: true,
  });
  const stored = (withRows as [number][]).map((r) => Number(r[0]));
  let skip = '';
  if (stored.length > 0) {
    await linesInto(
      duck,
      conn,
      'bulk_stored',
      STORED,
      `SELECT ${csvLineExpr(STORED)} FROM results WHERE run_id IN (${stored.map(() => '?').join(', ')})`,
      stored,
      join(dir, 'stored.csv'),
      o,
    );
    skip = 'ANTI JOIN bulk_stored x ON x.run_id = r.run_id AND x.item_id = i.id AND x.sample = s.sample';
  }
  const file = join(dir, 'results.tsv');
  const rows = await run(
    duck,
    `COPY (SELECT ${RESULT_VALUES.map((v, k) => `${v} AS ${RESULT_NAMES[k]}`).join(', ')}
           FROM ${stagedResultsFrom('bulk_known')}
           ${skip}
           ${await firstOfKey(duck, 'i.id', o)}
           ORDER BY r.run_id, i.id, s.sample)
     TO ${lit(file)} ${duckdbCopyOptions(RESULT_TEXT)}`,
    [],
    o,
  );
  await conn.beginTransaction();
  let inserted = 0;
  if (rows > 0) {
    const res = await loadFile(conn, 'results', RESULT_NAMES, file, true);
    await checkWarnings(conn, res, rows);
    inserted = res.affectedRows;
  }
  // runs a killed import left `importing` are complete now (a runner's statuses stay)
  await conn.query(
    `UPDATE runs SET status = 'imported' WHERE status = 'importing' AND id IN (${marks})`,
    runIds,
  );
  const stats = statsOf(reg, inserted);
  if (hook) await hook(connectionKysely(conn), stats);
  await conn.commit();
  return stats;
}
