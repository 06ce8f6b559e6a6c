/**
 * What both stores' bulk paths do on the staged file (core/store.ts BulkStage), which DuckDB holds:
 * benchmarks, fields, models and runs (few) registered through the catalog, and the staged tables that
 * map the file's names to their ids (`bulk_bench`, `bulk_runs`, the view `bulk_items_b`). The embedded
 * store then writes items and results with INSERT … SELECT in the same file (store/duckdb/bulk-append.ts);
 * MySQL gets them as LOAD DATA files made from the same staged tables (store/mysql/bulk-append.ts).
 * Every name and value reaches SQL as a parameter or through a staged table; the SQL text holds only
 * our column names and integer ids.
 */
import type { BulkStats } from '../../core/store.ts';
import type { FieldType } from '../../core/types.ts';
import { MAX_META_COLS } from '../../core/types.ts';
import type { BenchmarkEntry, Catalog, RunWanted } from '../catalog.ts';
import { FIELD_TYPE_CODES, typeOfCodes } from '../field-types.ts';
import { WRITTEN_RESULT_COLUMNS } from '../schema.ts';
import type { DuckDb } from './connection.ts';

export type Abortable = { signal?: AbortSignal | undefined };

export const int = (v: unknown) => Number(v);

/** Runs `sql`, interrupting it when the signal aborts (a long statement ends at once, then the write rolls back). */
export async function run(
  db: DuckDb,
  sql: string,
  params: unknown[] = [],
  o: Abortable = {},
): Promise<number> {
  o.signal?.throwIfAborted();
  const stop = () => db.conn.interrupt();
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await db.run(sql, params);
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
}

export async function all<T>(
  db: DuckDb,
  sql: string,
  params: unknown[] = [],
  o: Abortable = {},
): Promise<T[]> {
  o.signal?.throwIfAborted();
  const stop = () => db.conn.interrupt();
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await db.all<T>(sql, params);
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
}

/**
 * Drops the temp tables and views whose names are LIKE `like` (our constant; by default every one of the
 * stage and of the write: bulk_*), views first (they read the tables).
 */
export async function dropBulkTemps(db: DuckDb, like = 'bulk\\_%'): Promise<void> {
  const temps = await db
    .all<{ name: string; view: boolean }>(
      `SELECT view_name AS name, true AS view FROM duckdb_views() WHERE temporary AND view_name LIKE ? ESCAPE '\\'
       UNION ALL
       SELECT table_name, false FROM duckdb_tables() WHERE temporary AND table_name LIKE ? ESCAPE '\\'`,
      [like, like],
    )
    .catch(() => []);
  for (const t of temps.sort((a, b) => Number(b.view) - Number(a.view)))
    await db
      .run(`DROP ${t.view ? 'VIEW' : 'TABLE'} IF EXISTS temp."${t.name.replaceAll('"', '')}"`)
      .catch(() => undefined);
}

export interface StagedRun {
  slug: string;
  model: string;
  label: string;
  id: number;
  bid: number;
}

export interface Registered {
  rows: number;
  benchmarks: BenchmarkEntry[];
  runs: StagedRun[];
  models: number;
  /**
   * Per stored positional column c, the staged value that fills it: a CASE over the benchmark ids of
   * `bulk_items_b` (aliased `s`), since a field's column differs per benchmark (text fields have none).
   */
  positional: { col: number; expr: string }[];
}

/**
 * Registers the staged file's benchmarks (with its fields' types), models and runs (a run dated by its
 * first record), and creates `bulk_bench` (slug, id), `bulk_runs` (benchmark, model, label, run_id,
 * benchmark_id) and the view `bulk_items_b` (bulk_items with its benchmark_id). Null: no rows.
 */
export async function registerStaged(
  db: DuckDb,
  catalog: Catalog,
  metaFields: string[],
  source: string,
  o: Abortable,
): Promise<Registered | null> {
  const [{ rows } = { rows: 0 }] = await all<{ rows: number }>(
    db,
    'SELECT count(*)::INTEGER AS rows FROM bulk_rows',
  );
  if (int(rows) === 0) return null;

  // benchmarks, and per field a mask of the type codes its values have (bit c: code c; none: not in the benchmark)
  const codeCols = metaFields.map((_, j) => `bit_or(1::INTEGER << t${j}) AS t${j}`);
  const perBench = await all<Record<string, unknown>>(
    db,
    `SELECT benchmark${codeCols.map((c) => `, ${c}`).join('')} FROM bulk_items GROUP BY benchmark ORDER BY benchmark`,
    [],
    o,
  );
  const benchmarks: BenchmarkEntry[] = [];
  for (const row of perBench) {
    const b = await catalog.benchmark(String(row.benchmark));
    const seen = new Map<string, FieldType | null>();
    metaFields.forEach((name, j) => {
      // no code at all: the field is not in this benchmark's records (a null value has code 0)
      const mask = Number(row[`t${j}`] ?? 0);
      const codes = FIELD_TYPE_CODES.map((_, c) => c).filter((c) => mask & (1 << c));
      if (codes.length > 0) seen.set(name, typeOfCodes(codes));
    });
    await catalog.registerFieldTypes(b, seen);
    benchmarks.push(b);
  }
  await db.run('CREATE TEMP TABLE bulk_bench (slug VARCHAR, id INTEGER)');
  await db.run(
    `INSERT INTO bulk_bench VALUES ${benchmarks.map(() => '(?, ?)').join(', ')}`,
    benchmarks.flatMap((b) => [b.slug, b.id]),
  );

  // models and runs (a run is dated by its first record)
  const runRows = await all<{ benchmark: string; model: string; label: string; ea: string | null }>(
    db,
    `SELECT benchmark, model, label, arg_min_null(evaluated_at, ord) AS ea
     FROM bulk_rows GROUP BY ALL ORDER BY min(ord)`,
    [],
    o,
  );
  const bench = new Map(benchmarks.map((b) => [b.slug, b]));
  const wanted = new Map<string, Map<string, Map<string, RunWanted>>>();
  for (const r of runRows) {
    const byModel = wanted.get(r.benchmark) ?? new Map<string, Map<string, RunWanted>>();
    wanted.set(r.benchmark, byModel);
    const labels = byModel.get(r.model) ?? new Map<string, RunWanted>();
    byModel.set(r.model, labels);
    labels.set(r.label, { source, evaluatedAt: r.ea });
  }
  const runs: StagedRun[] = [];
  const models = new Set<string>();
  for (const [slug, byModel] of wanted) {
    const b = bench.get(slug)!;
    const ids = await catalog.runIds(b, byModel);
    for (const [model, labels] of ids) {
      models.add(model);
      for (const [label, id] of labels) runs.push({ slug, model, label, id, bid: b.id });
    }
  }
  await db.run(
    'CREATE TEMP TABLE bulk_runs (benchmark VARCHAR, model VARCHAR, label VARCHAR, run_id INTEGER, benchmark_id INTEGER)',
  );
  for (let off = 0; off < runs.length; off += 500) {
    const part = runs.slice(off, off + 500);
    await db.run(
      `INSERT INTO bulk_runs VALUES ${part.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      part.flatMap((r) => [r.slug, r.model, r.label, r.id, r.bid]),
    );
  }
  await run(
    db,
    // a view: a copy of a million new items cost half a second
    `CREATE TEMP VIEW bulk_items_b AS SELECT b.id AS benchmark_id, s.* FROM bulk_items s
     JOIN bulk_bench b ON b.slug = s.benchmark`,
    [],
    o,
  );
  return {
    rows: int(rows),
    benchmarks,
    runs,
    models: models.size,
    positional: positional(benchmarks, metaFields),
  };
}

function positional(benchmarks: BenchmarkEntry[], metaFields: string[]): { col: number; expr: string }[] {
  const out: { col: number; expr: string }[] = [];
  for (let c = 0; c < MAX_META_COLS; c++) {
    const cases: string[] = [];
    for (const b of benchmarks) {
      metaFields.forEach((name, j) => {
        const f = b.fields.get(name);
        if (f && f.col === c && f.type !== 'text') cases.push(`WHEN ${int(b.id)} THEN s.v${j}`);
      });
    }
    if (cases.length > 0) out.push({ col: c, expr: `CASE s.benchmark_id ${cases.join(' ')} END` });
  }
  return out;
}

/**
 * The clause that keeps the first record (in file order) of each (run, item, sample) key, or '' when the
 * file's keys are surely distinct (as many distinct key hashes as rows). `r`, `i` and `s` are the query's
 * runs, items and staged rows.
 */
export async function firstOfKey(db: DuckDb, itemId: string, o: Abortable): Promise<string> {
  const [dup] = await all<{ n: number }>(
    db,
    // one string's hash: DuckDB's hash of several values combines them weakly (6,260 collisions in a
    // million generated keys), which sent every large file through the window (a quarter of the insert)
    `SELECT (count(*) - count(DISTINCT hash(concat_ws(chr(0), benchmark, model, label, item_key, sample))))::INTEGER AS n
     FROM bulk_rows`,
    [],
    o,
  );
  return int(dup?.n ?? 0) > 0
    ? `QUALIFY row_number() OVER (PARTITION BY r.run_id, ${itemId}, s.sample ORDER BY s.ord) = 1`
    : '';
}

/**
 * The staged rows with their run and item: `bulk_rows s`, `bulk_runs r` and `items` (the table or staged
 * copy holding every staged row's item by now) as `i`. The items join is LEFT though every item is there
 * (a missing one would fail results.item_id NOT NULL, not vanish): as an inner join, DuckDB's join order
 * joined runs to items first, every item times every run of its benchmark (4M rows for a 4M-row file of
 * 20 models), and probed that on four keys: that file's insert took 7.3 s so, 3.9 s this way.
 */
export function stagedResultsFrom(items: string): string {
  return `bulk_rows s
     JOIN bulk_runs r ON r.benchmark = s.benchmark AND r.model = s.model AND r.label = s.label
     LEFT JOIN ${items} i ON i.benchmark_id = r.benchmark_id AND i.item_key = s.item_key`;
}

/** The results columns a bulk write gives, in store/schema.ts order. */
export const RESULT_NAMES = WRITTEN_RESULT_COLUMNS.map((c) => c.name);

/**
 * Each of RESULT_NAMES's value in a query over `bulk_rows s`, `bulk_runs r` and items `i`; `casts`: a
 * column's type where the target stores it otherwise (MySQL's BOOLEAN is TINYINT).
 */
export function resultValues(casts: Readonly<Record<string, string>> = {}): string[] {
  return RESULT_NAMES.map((n) => {
    const v = n === 'run_id' ? 'r.run_id' : n === 'item_id' ? 'i.id' : `s.${n}`;
    return casts[n] ? `${v}::${casts[n]}` : v;
  });
}

/** What a bulk write answers, `inserted` of the registered file's rows written. */
export function statsOf(reg: Registered, inserted: number): BulkStats {
  return {
    rows: reg.rows,
    inserted,
    duplicates: reg.rows - inserted,
    runs: reg.runs.length,
    benchmarks: reg.benchmarks.length,
    models: reg.models,
  };
}
