/**
 * End-to-end imports (issue 19): `importFile` of GENERATED canonical files (perf/generate.ts records) into a
 * fresh embedded DuckDB store, each beside DuckDB's own read_csv / read_json of the same file into a bare
 * table, in the same run. Each import runs in a child process of its own, so its peak RSS is its own.
 * Shapes: `new` (1 model × N items: every item new), `shared` (20 models × N/20 items) and `fixed`
 * (N/50k models × 50k items, generate.ts fixedItemBatches).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CanonicalRecord } from '../core/types.ts';
import { importFile } from '../ingest/import-file.ts';
import { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import { fixedItemBatches, generateBatches, toJsonl } from './generate.ts';

export type Shape = 'new' | 'shared' | 'fixed';

/** The items of the `fixed` shape. */
export const FIXED_ITEMS = 50_000;
export type Syntax = 'csv' | 'jsonl' | 'csv.gz' | 'jsonl.gz';

const META = ['subject', 'category', 'year', 'difficulty'] as const;
const CSV_COLUMNS = [
  'benchmark',
  'model',
  'item_id',
  'correct',
  'score',
  'outcome',
  'response',
  'answer',
  'reference',
  'latency_ms',
  'tokens_in',
  'tokens_out',
  'cost_usd',
  'error',
] as const;

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

function toCsv(r: CanonicalRecord): string {
  const o = r as unknown as Record<string, unknown>;
  const cells = CSV_COLUMNS.map((c) =>
    c === 'outcome' ? (r.outcome === 'unscored' || r.outcome === 'error' ? r.outcome : '') : csvCell(o[c]),
  );
  for (const m of META) cells.push(csvCell(r.metadata[m]));
  return cells.join(',');
}

/** The generated records in the shape: `new` gives every record an item of its own under one model. */
function* records(rows: number, shape: Shape): Generator<CanonicalRecord[]> {
  if (shape === 'fixed') return yield* fixedItemBatches(rows, FIXED_ITEMS);
  for (const batch of generateBatches(rows, 50_000)) {
    if (shape === 'shared') yield batch;
    else yield batch.map((r) => ({ ...r, model: 'gen-model-01', item_id: `${r.item_id}-${r.model}` }));
  }
}

/** Writes (once, cached under out/) the generated file of that shape and syntax; returns its path. */
export async function generatedFile(
  dir: string,
  rows: number,
  shape: Shape,
  syntax: Syntax,
): Promise<string> {
  const path = join(dir, `e2e-${shape}-${rows}.${syntax}`);
  if (existsSync(path)) return path;
  const csv = syntax.startsWith('csv');
  const lines = (function* () {
    if (csv) yield `${[...CSV_COLUMNS, ...META.map((m) => `meta.${m}`)].join(',')}\n`;
    for (const b of records(rows, shape)) yield `${b.map(csv ? toCsv : toJsonl).join('\n')}\n`;
  })();
  const tmp = `${path}.tmp`;
  const stages = syntax.endsWith('.gz')
    ? [Readable.from(lines), createGzip({ level: 6 }), createWriteStream(tmp)]
    : [Readable.from(lines), createWriteStream(tmp)];
  await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
  rmSync(path, { force: true });
  (await import('node:fs')).renameSync(tmp, path);
  return path;
}

/** DuckDB's own load of the file into a bare table (the user's "by hand"), seconds. */
export async function rawDuckLoad(file: string, db: string): Promise<{ seconds: number; rows: number }> {
  for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
  const inst = await DuckDBInstance.create(db);
  const conn = await inst.connect();
  const reader = file.includes('.csv') ? 'read_csv' : 'read_json';
  const t0 = performance.now();
  // WARNING: the path is our own generated file's, quoted; no user text
  await conn.run(`CREATE TABLE raw AS SELECT * FROM ${reader}('${file.replaceAll("'", "''")}')`);
  await conn.run('CHECKPOINT');
  const seconds = (performance.now() - t0) / 1000;
  const n = Number((await conn.runAndReadAll('SELECT count(*) FROM raw')).getRows()[0]![0]);
  conn.closeSync();
  inst.closeSync();
  for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
  return { seconds, rows: n };
}

export interface ChildResult {
  seconds: number;
  inserted: number;
  duplicates: number;
  committed: boolean;
  items: number;
  maxRssMB: number;
  /** CPU seconds of the process (its DuckDB threads included): steadier than wall time on a loaded machine. */
  cpuSeconds: number;
  /** Which import path ran: bulk (DuckDB reads the file) or records. */
  path: string;
}

/** In the child: one importFile into a fresh store; prints its figures as JSON on the last line. */
export async function childImport(file: string, db: string, bulk = true): Promise<void> {
  for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
  const store = await DuckDbStore.open(db);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const s = await importFile(store, file, { format: 'canonical', bulk });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const [{ n } = { n: 0 }] = await store.db.all<{ n: number }>('SELECT count(*) AS n FROM items');
  await store.close();
  for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
  const out: ChildResult = {
    seconds,
    inserted: s.inserted,
    duplicates: s.duplicates,
    committed: s.committed,
    items: Number(n),
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    path: s.path,
  };
  console.log(JSON.stringify(out));
}

/** Runs childImport in a fresh process (this file's CLI), so that peak RSS is the import's alone. */
export function importInChild(
  file: string,
  db: string,
  extraNodeArgs: string[] = [],
  path: 'bulk' | 'records' = 'bulk',
): ChildResult {
  const self = new URL(import.meta.url).pathname;
  const r = spawnSync(process.execPath, [...extraNodeArgs, '--import', 'tsx', self, file, db, path], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 ** 2,
  });
  if (r.status !== 0) throw new Error(`import child failed (${r.status}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last) as ChildResult;
}

export const fileMB = (p: string) => statSync(p).size / 1e6;

if (import.meta.url === `file://${process.argv[1]}`) {
  await childImport(process.argv[2]!, process.argv[3]!, process.argv[4] !== 'records');
}
