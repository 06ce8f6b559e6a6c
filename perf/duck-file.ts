/**
 * The generated N-row DuckDB file the analysis benches read, cached as <out>/analysis-<N>.duckdb with a
 * `.done` marker (reruns skip loading). GENERATED data (perf/generate.ts), never real results.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBDataChunk, INTEGER, VARCHAR } from '@duckdb/node-api';
import { MAX_META_COLS } from '../core/types.ts';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { encodeValue } from '../store/field-types.ts';
import { generateBatches, generateItems } from './generate.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const t = () => performance.now();

/**
 * Registers all items of the generated benchmarks in bulk (appender into items), after one record per
 * benchmark went through DuckDbStore.ingest to register benchmark, fields and columns the product's way.
 * Catalog.resolve inserts new items 400 per INSERT statement, which takes minutes for the 500k items of
 * 10M rows (see perf/README.md); the rows it writes are the same ones: item_key, metadata JSON, m<col> text.
 */
async function preRegisterItems(duck: DuckDbStore, rows: number): Promise<void> {
  // one record per benchmark through the product path: registers benchmark, fields and columns
  const seed: Parameters<DuckDbStore['ingest']>[0] = [];
  const seen = new Set<string>();
  // The first record of each benchmark (its first item, first model) does not depend on the row count
  // (generate.ts draws items and answers in sequence), so a small plan yields the same six records without
  // generating every record of a 100M-row plan to find them.
  for (const batch of generateBatches(Math.min(rows, 20 * 1000))) {
    for (const r of batch) {
      if (!seen.has(r.benchmark)) {
        seen.add(r.benchmark);
        seed.push(r);
      }
    }
  }
  const items = new Map<string, ReturnType<typeof generateItems> extends Generator<infer I> ? I[] : never>();
  for (const it of generateItems(rows)) {
    if (seed.some((s) => s.item_id === it.item_id)) continue;
    const list = items.get(it.benchmark) ?? [];
    list.push(it);
    items.set(it.benchmark, list);
  }
  await duck.ingest(seed);
  const conn = duck.db.conn;
  await conn.run('BEGIN TRANSACTION');
  await conn.run(
    `CREATE TEMP TABLE IF NOT EXISTS bench_items (benchmark_id INTEGER, item_key VARCHAR, reference VARCHAR, metadata VARCHAR, ${Array.from({ length: MAX_META_COLS }, (_, i) => `m${i} VARCHAR`).join(', ')})`,
  );
  const appender = await conn.createAppender('bench_items', 'main', 'temp');
  const types = [INTEGER, VARCHAR, VARCHAR, VARCHAR, ...Array.from({ length: MAX_META_COLS }, () => VARCHAR)];
  for (const [slug, list] of items) {
    const b = duck.catalog.benchmarks.get(slug)!;
    for (let off = 0; off < list.length; off += 2048) {
      const part = list.slice(off, off + 2048);
      const cols: (string | number | null)[][] = types.map(() => new Array(part.length).fill(null));
      part.forEach((r, j) => {
        cols[0]![j] = b.id;
        cols[1]![j] = r.item_id;
        cols[2]![j] = r.reference;
        cols[3]![j] = JSON.stringify(r.metadata);
        for (const [name, v] of Object.entries(r.metadata)) {
          const f = b.fields.get(name);
          if (f && f.col !== null) cols[4 + f.col]![j] = encodeValue(v);
        }
      });
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setColumns(cols);
      appender.appendDataChunk(chunk);
    }
    duck.catalog.changedBenchmarks.add(b.id); // meta_<id> is rebuilt with the next write
  }
  appender.flushSync();
  appender.closeSync();
  const meta = Array.from({ length: MAX_META_COLS }, (_, i) => `m${i}`).join(', ');
  await conn.run(
    `INSERT INTO items (id, benchmark_id, item_key, reference, metadata, ${meta})
     SELECT nextval('seq_items'), benchmark_id, item_key, reference, metadata::JSON, ${meta} FROM bench_items`,
  );
  await conn.run('DROP TABLE bench_items');
  await conn.run('COMMIT');
  duck.catalog.reset(); // item ids are read back from the table on the next ingest
}

export async function ensureDuckFile(rows: number, out: string): Promise<string> {
  const path = join(out, `analysis-${rows}.duckdb`);
  const done = `${path}.done`;
  if (existsSync(done) && existsSync(path)) {
    console.log(`DuckDB file cached: ${path}`);
    return path;
  }
  for (const f of [path, `${path}.wal`, done]) if (existsSync(f)) rmSync(f);
  console.log(`loading ${fmt(rows)} generated rows into ${path} ...`);
  const t0 = t();
  const duck = await DuckDbStore.open(path);
  await preRegisterItems(duck, rows);
  const t1 = t();
  let n = 0;
  // Each ingest anti-joins its batch against the rows its runs already hold (insert-if-absent), so the load
  // is quadratic in a run's size: at 100M rows (runs of up to 1.5M rows) batches of 50k were on course for
  // over an hour on 2 shared cores. Larger batches above 10M rows; the records, their order and the
  // stored rows are the same.
  for (const batch of generateBatches(rows, rows > 10_000_000 ? 500_000 : 50_000)) {
    n += (await duck.ingest(batch)).inserted;
  }
  await duck.db.run('CHECKPOINT');
  await duck.close();
  const s = (t() - t1) / 1000;
  console.log(
    `  items registered in ${((t1 - t0) / 1000).toFixed(1)} s; ${fmt(n)} results in ${s.toFixed(1)} s (${fmt(n / s)} rows/s incl. generation)`,
  );
  writeFileSync(done, JSON.stringify({ rows, at: new Date().toISOString() }));
  return path;
}
