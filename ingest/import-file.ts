import { basename } from 'node:path';
import { recordNameProblem } from '../core/names.ts';
import type { RecordStore } from '../core/store.ts';
import type { CanonicalRecord } from '../core/types.ts';
import { detectFormat, importerFor } from './importers/detect.ts';
import type { ImportFormat, ImportOptions, RecordError } from './importers/types.ts';

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  /** Valid records read. */
  rows: number;
  inserted: number;
  /** Records whose (run, item, sample) was already stored. */
  duplicates: number;
  /** Invalid records left out (only with skipInvalid). */
  skipped: number;
  runs: number;
  benchmarks: number;
  models: number;
  /** The first errors found (all of them counted in errorCount). */
  errors: RecordError[];
  errorCount: number;
  /** True when the file was written (no errors, or skipInvalid). */
  committed: boolean;
  elapsedMs: number;
}

export interface ImportFileOptions extends ImportOptions {
  format?: ImportFormat | undefined;
  skipInvalid?: boolean | undefined;
  /** Records per store batch. */
  batchSize?: number | undefined;
  /** Called during the write pass: records written so far, records in the file. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

const MAX_REPORTED_ERRORS = 100;
/** Files with at most this many records are parsed once and kept in memory between the passes. */
const KEEP_IN_MEMORY = 1_000_000;

/**
 * Imports one file in two passes: the first validates every record (a file with a bad record
 * writes nothing, unless skipInvalid); the second appends in batches. Appends are idempotent on
 * (run, item, sample), so importing a file again, or again after a kill, leaves the rows of one import.
 */
export async function importFile(
  store: RecordStore,
  file: string,
  opts: ImportFileOptions = {},
): Promise<ImportSummary> {
  const t0 = performance.now();
  const format = opts.format ?? (await detectFormat(file));
  const importer = importerFor(format);
  const options: ImportOptions = { benchmark: opts.benchmark, model: opts.model, run: opts.run };
  const errors: RecordError[] = [];
  let errorCount = 0;
  let rows = 0;
  let kept: CanonicalRecord[] | null = [];
  const runs = new Set<string>();
  const benchmarks = new Set<string>();
  const models = new Set<string>();
  for await (const read of importer.read(file, options)) {
    const item = withNameRule(file, read);
    if ('error' in item) {
      errorCount++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(item.error);
      continue;
    }
    const r = item.record;
    rows++;
    benchmarks.add(r.benchmark);
    models.add(r.model);
    runs.add(`${r.benchmark}\u0000${r.model}\u0000${r.run ?? 'default'}`);
    if (kept) {
      kept.push(r);
      if (kept.length > KEEP_IN_MEMORY) kept = null;
    }
  }
  const summary: ImportSummary = {
    file,
    format,
    rows,
    inserted: 0,
    duplicates: 0,
    skipped: opts.skipInvalid ? errorCount : 0,
    runs: runs.size,
    benchmarks: benchmarks.size,
    models: models.size,
    errors,
    errorCount,
    committed: false,
    elapsedMs: 0,
  };
  if (errorCount > 0 && !opts.skipInvalid) {
    summary.elapsedMs = performance.now() - t0;
    return summary;
  }
  // Larger batches amortize the per-commit cost (DuckDB: 50k rows a batch ~125k rows/s, 250k ~200k rows/s).
  const batchSize = opts.batchSize ?? 250_000;
  let batch: CanonicalRecord[] = [];
  let done = 0;
  const flush = async () => {
    const s = await store.ingest(batch);
    summary.inserted += s.inserted;
    summary.duplicates += s.duplicates;
    done += batch.length;
    batch = [];
    opts.onProgress?.(done, rows);
  };
  const source = kept ?? recordsOf(importer.read(file, options));
  for await (const r of source) {
    batch.push(r);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  summary.committed = true;
  summary.elapsedMs = performance.now() - t0;
  return summary;
}

type Item = { line: number; record: CanonicalRecord } | { line: number; error: RecordError };

/** The names rule (core/names.ts) for every importer's records: a name the API could not ask for is that record's error. */
function withNameRule(file: string, item: Item): Item {
  if (!('record' in item)) return item;
  const bad = recordNameProblem(item.record);
  return bad ? { line: item.line, error: { file: basename(file), line: item.line, ...bad } } : item;
}

async function* recordsOf(items: AsyncIterable<Item>) {
  for await (const item of items) {
    const checked = withNameRule('', item);
    if ('record' in checked) yield checked.record;
  }
}

/** One line per problem: `file:line: field: message`. */
export function formatErrors(s: ImportSummary): string[] {
  const lines = s.errors.map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`);
  if (s.errorCount > s.errors.length) lines.push(`… and ${s.errorCount - s.errors.length} more`);
  return lines;
}
