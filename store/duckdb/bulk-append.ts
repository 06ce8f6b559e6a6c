/**
 * The embedded store's bulk path: a whole staged file (core/store.ts BulkStage: the temp table
 * `bulk_rows`, which DuckDB filled from the file itself) registered and appended set-based, in the one
 * transaction of the write. Benchmarks, fields, models and runs are few and go through the catalog;
 * items and results are single INSERT … SELECT statements. Every name and value reaches SQL as a
 * parameter or through the staged table; the SQL text holds only our column names and integer ids.
 */
import type { BulkStage, BulkStats } from '../../core/store.ts';
import type { FieldType } from '../../core/types.ts';
import { MAX_META_COLS } from '../../core/types.ts';
import type { BenchmarkEntry, Catalog, RunWanted } from '../catalog.ts';
import { FIELD_TYPE_CODES, typeOfCodes } from '../field-types.ts';
import { WRITTEN_RESULT_COLUMNS } from '../schema.ts';
import type { DuckDb } from './connection.ts';

/** Results columns as the INSERT names them, and where each value comes from. */
const RESULT_NAMES = WRITTEN_RESULT_COLUMNS.map((c) => c.name);
const RESULT_VALUES = RESULT_NAMES.map((n) =>
  n === 'run_id' ? 'r.run_id' : n === 'item_id' ? 'i.id' : `s.${n}`,
);

type Abortable = { signal?: AbortSignal | undefined };

const int = (v: unknown) => Number(v);

/** Runs `sql`, interrupting it when the signal aborts (a long INSERT ends at once, then the write rolls back). */
async function run(db: DuckDb, sql: string, params: unknown[] = [], o: Abortable = {}): Promise<number> {
  o.signal?.throwIfAborted();
  const stop = () => db.conn.interrupt();
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await db.run(sql, params);
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
}

async function all<T>(db: DuckDb, sql: string, params: unknown[] = [], o: Abortable = {}): Promise<T[]> {
  o.signal?.throwIfAborted();
  const stop = () => db.conn.interrupt();
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await db.all<T>(sql, params);
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
}

/** Call inside the store's write (mutex and transaction). */
export async function bulkAppend(db: DuckDb, catalog: Catalog, stage: BulkStage): Promise<BulkStats | null> {
  const o: Abortable = { signal: stage.signal };
  try {
    const staged = await stage.stage(db);
    if (!staged) return null;
    return await appendStaged(db, catalog, staged.metaFields, stage.source, o);
  } finally {
    // every temp table and view of the stage and of this write: bulk_*
    await dropTemps(db, 'bulk\\_%');
  }
}

/** Drops the temp tables and views whose names are LIKE `like` (our constant), views first (they read the tables). */
async function dropTemps(db: DuckDb, like: string): Promise<void> {
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

async function appendStaged(
  db: DuckDb,
  catalog: Catalog,
  metaFields: string[],
  source: string,
  o: Abortable,
): Promise<BulkStats> {
  const [{ rows } = { rows: 0 }] = await all<{ rows: number }>(
    db,
    'SELECT count(*)::INTEGER AS rows FROM bulk_rows',
  );
  if (int(rows) === 0) return { rows: 0, inserted: 0, duplicates: 0, runs: 0, benchmarks: 0, models: 0 };

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
  const runs: { slug: string; model: string; label: string; id: number; bid: number }[] = [];
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

  await writeItems(db, catalog, benchmarks, metaFields, o);

  // results: insert-if-absent on (run, item, sample), the first record of a key in the file winning
  const runIds = runs.map((r) => r.id);
  const existing = (
    await all<{ run_id: number }>(
      db,
      `SELECT DISTINCT run_id FROM results WHERE run_id IN (${runIds.map(() => '?').join(', ')})`,
      runIds,
      o,
    )
  ).map((r) => int(r.run_id));
  const guard =
    existing.length === 0
      ? ''
      : `WHERE NOT EXISTS (
           SELECT 1 FROM results x
           WHERE x.run_id IN (${existing.map(() => '?').join(', ')})
             AND x.run_id = r.run_id AND x.item_id = i.id AND x.sample = s.sample)`;
  // fewer distinct key hashes than rows: maybe repeated keys (or a collision), so the first of each is kept.
  // One string's hash: DuckDB's hash of several values combines them weakly (6,260 collisions in a million
  // generated keys), which sent every large file through the window below (a quarter of the insert's time).
  const [dup] = await all<{ n: number }>(
    db,
    `SELECT (count(*) - count(DISTINCT hash(concat_ws(chr(0), benchmark, model, label, item_key, sample))))::INTEGER AS n
     FROM bulk_rows`,
    [],
    o,
  );
  // one creation time for the file, read once (a per-row current_timestamp cast was 10 % of the insert)
  const [now] = await all<{ t: string }>(db, 'SELECT current_timestamp::TIMESTAMP::VARCHAR AS t');
  const firstOfKey =
    int(dup?.n ?? 0) > 0
      ? 'QUALIFY row_number() OVER (PARTITION BY r.run_id, i.id, s.sample ORDER BY s.ord) = 1'
      : '';
  const inserted = await run(
    db,
    `INSERT INTO results (id, ${RESULT_NAMES.join(', ')}, created_at)
     SELECT nextval('seq_results'), ${RESULT_VALUES.join(', ')}, ?::TIMESTAMP
     FROM bulk_rows s
     JOIN bulk_runs r ON r.benchmark = s.benchmark AND r.model = s.model AND r.label = s.label
     JOIN items i ON i.benchmark_id = r.benchmark_id AND i.item_key = s.item_key
     ${guard} ${firstOfKey}`,
    [now?.t, ...existing],
    o,
  );
  // runs a killed import left `importing` are complete now (a runner's statuses stay)
  await run(
    db,
    `UPDATE runs SET status = 'imported' WHERE status = 'importing' AND id IN (${runIds.map(() => '?').join(', ')})`,
    runIds,
  );
  return {
    rows: int(rows),
    inserted,
    duplicates: int(rows) - inserted,
    runs: runs.length,
    benchmarks: benchmarks.length,
    models: models.size,
  };
}

/**
 * New items from their first row; known items gain values for positional columns they had none for.
 * A field's positional column differs per benchmark, so each m<c> is a CASE over the benchmark ids.
 */
async function writeItems(
  db: DuckDb,
  catalog: Catalog,
  benchmarks: BenchmarkEntry[],
  metaFields: string[],
  o: Abortable,
): Promise<void> {
  await run(
    db,
    // a view: a copy of a million new items cost half a second
    `CREATE TEMP VIEW bulk_items_b AS SELECT b.id AS benchmark_id, s.* FROM bulk_items s
     JOIN bulk_bench b ON b.slug = s.benchmark`,
    [],
    o,
  );
  // m<c> per benchmark: the staged field whose registered column is c (text fields have none)
  const positional: { col: number; expr: string }[] = [];
  for (let c = 0; c < MAX_META_COLS; c++) {
    const cases: string[] = [];
    for (const b of benchmarks) {
      metaFields.forEach((name, j) => {
        const f = b.fields.get(name);
        if (f && f.col === c && f.type !== 'text') cases.push(`WHEN ${int(b.id)} THEN s.v${j}`);
      });
    }
    if (cases.length > 0) positional.push({ col: c, expr: `CASE s.benchmark_id ${cases.join(' ')} END` });
  }
  const [known] = await all<{ n: number }>(
    db,
    `SELECT count(*)::INTEGER AS n FROM bulk_items_b s
     JOIN items i ON i.benchmark_id = s.benchmark_id AND i.item_key = s.item_key`,
    [],
    o,
  );
  let filled = 0;
  if (int(known?.n ?? 0) > 0 && positional.length > 0) {
    filled = await run(
      db,
      `UPDATE items SET ${positional.map((p) => `m${p.col} = coalesce(items.m${p.col}, ${p.expr})`).join(', ')}
       FROM bulk_items_b s
       WHERE items.benchmark_id = s.benchmark_id AND items.item_key = s.item_key
         AND (${positional.map((p) => `(items.m${p.col} IS NULL AND ${p.expr} IS NOT NULL)`).join(' OR ')})`,
      [],
      o,
    );
  }
  const added = await run(
    db,
    `INSERT INTO items (benchmark_id, item_key, input, reference, metadata${positional.map((p) => `, m${p.col}`).join('')})
     SELECT s.benchmark_id, s.item_key, s.input, s.reference, s.metadata${positional.map((p) => `, ${p.expr}`).join('')}
     FROM bulk_items_b s
     WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.benchmark_id = s.benchmark_id AND i.item_key = s.item_key)`,
    [],
    o,
  );
  if (added > 0 || filled > 0) for (const b of benchmarks) catalog.itemsWritten(b.id);
  // the staged items are written: their memory goes back to the results insert (a million items ≈ 230 MB)
  await dropTemps(db, 'bulk\\_item%');
}
