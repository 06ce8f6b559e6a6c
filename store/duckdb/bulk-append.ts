/**
 * The embedded store's bulk path: a whole staged file (core/store.ts BulkStage: the temp table
 * `bulk_rows`, which DuckDB filled from the file itself) registered (store/duckdb/bulk-register.ts) and
 * appended set-based, in the one transaction of the write: items and results are single INSERT … SELECT
 * statements. The SQL text holds only our column names and integer ids.
 */
import type { BulkStage, BulkStats, StagedBulk } from '../../core/store.ts';
import type { Catalog } from '../catalog.ts';
import {
  type Abortable,
  all,
  dropBulkTemps,
  firstOfKey,
  int,
  RESULT_NAMES,
  type Registered,
  registerStaged,
  resultValues,
  run,
  stagedResultsFrom,
  statsOf,
} from './bulk-register.ts';
import type { DuckDb } from './connection.ts';

const RESULT_VALUES = resultValues();

/**
 * The file's temp tables (null: the stage declined it). Call under the store's mutex, outside its
 * transaction (DuckDbStore.bulkAppend says why); the caller drops the temps (dropBulkTemps) at the end.
 */
export function stageBulk(db: DuckDb, stage: BulkStage): Promise<StagedBulk | null> {
  stage.signal?.throwIfAborted();
  return stage.stage(db);
}

/** The staged file registered and appended. Call inside the store's write (mutex and transaction). */
export async function appendStaged(
  db: DuckDb,
  catalog: Catalog,
  staged: StagedBulk,
  stage: BulkStage,
): Promise<BulkStats> {
  const o: Abortable = { signal: stage.signal };
  const reg = await registerStaged(db, catalog, staged.metaFields, stage.source, o);
  if (!reg) return { rows: 0, inserted: 0, duplicates: 0, runs: 0, benchmarks: 0, models: 0 };
  await writeItems(db, catalog, reg, o);
  return await writeResults(db, reg, o);
}

/** Results insert-if-absent on (run, item, sample), the first record of a key in the file winning. */
async function writeResults(db: DuckDb, reg: Registered, o: Abortable): Promise<BulkStats> {
  const runIds = reg.runs.map((r) => r.id);
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
  // one creation time for the file, read once (a per-row current_timestamp cast was 10 % of the insert)
  const [now] = await all<{ t: string }>(db, 'SELECT current_timestamp::TIMESTAMP::VARCHAR AS t');
  const inserted = await run(
    db,
    `INSERT INTO results (id, ${RESULT_NAMES.join(', ')}, created_at)
     SELECT nextval('seq_results'), ${RESULT_VALUES.join(', ')}, ?::TIMESTAMP
     FROM ${stagedResultsFrom('items')}
     ${guard} ${await firstOfKey(db, 'i.id', o)}`,
    [now?.t, ...existing],
    o,
  );
  // runs a killed import left `importing` are complete now (a runner's statuses stay)
  await run(
    db,
    `UPDATE runs SET status = 'imported' WHERE status = 'importing' AND id IN (${runIds.map(() => '?').join(', ')})`,
    runIds,
  );
  return statsOf(reg, inserted);
}

/** New items from their first row; known items gain values for positional columns they had none for. */
async function writeItems(db: DuckDb, catalog: Catalog, reg: Registered, o: Abortable): Promise<void> {
  const { positional } = reg;
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
  if (added > 0 || filled > 0) for (const b of reg.benchmarks) catalog.itemsWritten(b.id);
  // the staged items are written: their memory goes back to the results insert (a million items ≈ 230 MB)
  await dropBulkTemps(db, 'bulk\\_item%');
}
