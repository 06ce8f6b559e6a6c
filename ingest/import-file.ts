import { basename } from 'node:path';
import { z } from 'zod';
import { recordNameProblem } from '../core/names.ts';
import type { CommitHook, RecordStore, RunInfo, RunSpec } from '../core/store.ts';
import type { CanonicalRecord } from '../core/types.ts';
import { tokensProblem } from '../store/result-values.ts';
import { importBulk } from './import-bulk.ts';
import { detectFormat, IMPORT_FORMATS, importerFor } from './importers/detect.ts';
import type { ImportFormat, ImportOptions, RecordError } from './importers/types.ts';
import { recordBytes } from './record-bytes.ts';
import { lockRuns } from './run-locks.ts';
import { TimeSlicer } from './time-slicer.ts';

const RecordErrorSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  field: z.string(),
  message: z.string(),
}) satisfies z.ZodType<RecordError>;

/** What an import answers (the CLI prints it, POST /imports sends it): its schema and type in one. */
export const ImportSummarySchema = z.looseObject({
  file: z.string(),
  format: z.enum(IMPORT_FORMATS as [ImportFormat, ...ImportFormat[]]),
  rows: z.number().int().describe('valid records read'),
  inserted: z.number().int(),
  duplicates: z.number().int().describe('records whose (run, item, sample) was already stored'),
  skipped: z.number().int().describe('invalid records left out (only with skipInvalid)'),
  runs: z.number().int(),
  benchmarks: z.number().int(),
  models: z.number().int(),
  errors: z
    .array(RecordErrorSchema)
    .describe('the first invalid records (all of them counted in errorCount)'),
  errorCount: z.number().int(),
  stoppedEarly: z
    .boolean()
    .describe('validation stopped at maxErrors invalid records, before the end of the file'),
  read: z.number().int().describe('records read (valid and invalid) before the end of the file or the stop'),
  reread: z.boolean().describe('the records outgrew keepBytes and the write pass read the file again'),
  committed: z.boolean().describe('the file was written (no errors, or skipInvalid)'),
  path: z
    .enum(['bulk', 'records'])
    .describe(
      'bulk: the store read and checked the file itself in one transaction; records: record by record',
    ),
  elapsedMs: z.number(),
});
export type ImportSummary = z.infer<typeof ImportSummarySchema>;

export interface ImportFileOptions extends ImportOptions {
  format?: ImportFormat | undefined;
  skipInvalid?: boolean | undefined;
  /** Records per store batch. */
  batchSize?: number | undefined;
  /** A batch is also written once its records hold about this many bytes (long responses: memory by bytes). */
  batchBytes?: number | undefined;
  /** Called during the write pass: records written so far, records in the file. */
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Aborting abandons the import: what it wrote is removed and its runs are as they were. */
  signal?: AbortSignal | undefined;
  /** Validation stops after this many invalid records (the file is then refused, even with skipInvalid). */
  maxErrors?: number | undefined;
  /** Parsed records up to about this many bytes are kept between the passes; a larger file is read again. */
  keepBytes?: number | undefined;
  /** The loops give the event loop a turn after this many ms of work (a server's other requests). */
  sliceMs?: number | undefined;
  /**
   * Canonical CSV/JSONL into a store that reads files itself goes the bulk path (ingest/import-bulk.ts:
   * one transaction, same answer) unless false (IMPORT_BULK=off).
   */
  bulk?: boolean | undefined;
  /**
   * Runs in the transaction that commits the import (its audit entry): the bulk path's one
   * transaction, the one batch's, or, when the file took several batches, the one that completes its runs.
   */
  onCommit?: CommitHook<ImportCommit> | undefined;
}

/** What a committed import wrote, as its commit hook hears it. */
export interface ImportCommit {
  rows: number;
  inserted: number;
  duplicates: number;
  runs: number;
}

const MAX_REPORTED_ERRORS = 100;
export const DEFAULT_MAX_ERRORS = 1000;
export const DEFAULT_KEEP_BYTES = 256 * 1024 ** 2;
export const DEFAULT_BATCH_BYTES = 64 * 1024 ** 2;

/**
 * Imports one file in two passes: the first validates every record (a file with a bad record
 * writes nothing, unless skipInvalid); the second appends in batches. Appends are idempotent on
 * (run, item, sample), so importing a file again, or again after a kill, leaves the rows of one import.
 * The file's runs are `importing` during the second pass (analyses leave them out) and `imported` once
 * every record is written; a killed import leaves them `importing` until the file is imported again.
 */
export async function importFile(
  store: RecordStore,
  file: string,
  opts: ImportFileOptions = {},
): Promise<ImportSummary> {
  const t0 = performance.now();
  const signal = opts.signal;
  const slicer = new TimeSlicer(opts.sliceMs ?? Number.POSITIVE_INFINITY, signal);
  const maxErrors = opts.maxErrors ?? DEFAULT_MAX_ERRORS;
  const keepBytes = opts.keepBytes ?? DEFAULT_KEEP_BYTES;
  const format = opts.format ?? (await detectFormat(file));
  const importer = importerFor(format);
  // the importers' options: the caller's overrides and what one file may cost
  const options: ImportOptions = {
    benchmark: opts.benchmark,
    model: opts.model,
    run: opts.run,
    limits: opts.limits,
  };
  const bulk = await importBulk(store, file, format, opts, options);
  if (bulk) return { ...bulk, elapsedMs: performance.now() - t0 };
  const errors: RecordError[] = [];
  let errorCount = 0;
  let rows = 0;
  let read = 0;
  let stoppedEarly = false;
  let kept: CanonicalRecord[] | null = [];
  let keptBytes = 0;
  const runs = new Map<string, RunSpec>();
  const benchmarks = new Set<string>();
  const models = new Set<string>();
  for await (const next of importer.read(file, options)) {
    await slicer.tick();
    read++;
    const item = atTheGate(file, next);
    if ('error' in item) {
      errorCount++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push(item.error);
      if (errorCount >= maxErrors) {
        stoppedEarly = true;
        break;
      }
      continue;
    }
    const r = item.record;
    rows++;
    benchmarks.add(r.benchmark);
    models.add(r.model);
    const label = r.run ?? 'default';
    const key = runKey(r.benchmark, r.model, label);
    // a run is dated by its first record, whichever batch creates it
    if (!runs.has(key))
      runs.set(key, {
        benchmark: r.benchmark,
        model: r.model,
        label,
        source: r.source ?? 'import',
        evaluatedAt: r.evaluated_at,
      });
    if (kept) {
      kept.push(r);
      keptBytes += recordBytes(r);
      if (keptBytes > keepBytes) kept = null;
    }
  }
  const summary: ImportSummary = {
    file,
    format,
    rows,
    inserted: 0,
    duplicates: 0,
    skipped: opts.skipInvalid && !stoppedEarly ? errorCount : 0,
    runs: runs.size,
    benchmarks: benchmarks.size,
    models: models.size,
    errors,
    errorCount,
    stoppedEarly,
    read,
    reread: kept === null,
    committed: false,
    path: 'records',
    elapsedMs: 0,
  };
  if ((errorCount > 0 && !opts.skipInvalid) || stoppedEarly) {
    summary.elapsedMs = performance.now() - t0;
    return summary;
  }
  signal?.throwIfAborted();
  // Larger batches amortize the per-commit cost (DuckDB: 50k rows a batch ~125k rows/s, 250k ~200k rows/s).
  const batchSize = opts.batchSize ?? 250_000;
  const batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  const unlock = await lockRuns(store, [...runs.keys()]);
  let marked: { run: RunInfo; before: RunInfo | null }[] = [];
  let watermark = 0;
  try {
    // (records already kept in memory, at most keepBytes: one write adds no memory of its own)
    if (kept && rows <= batchSize) {
      // One batch is one transaction: it cannot be seen half-written, so the runs need no `importing`
      // phase, only completing if a killed import (of other batches) left them so.
      const before = await runsNow(store, runs);
      signal?.throwIfAborted();
      const hook = opts.onCommit;
      const s = await store.ingest(kept, {
        onCommit:
          hook &&
          ((trx, b) => hook(trx, { rows, inserted: b.inserted, duplicates: b.duplicates, runs: runs.size })),
      });
      summary.inserted = s.inserted;
      summary.duplicates = s.duplicates;
      opts.onProgress?.(rows, rows);
      for (const r of before.values())
        if (r.status === 'importing') await store.updateRun(r.id, { status: 'imported' });
    } else {
      // Rows this import adds get ids above the watermark: what an abandoned import removes.
      watermark = await store.resultWatermark();
      marked = await markImporting(store, runs);
      // the batches change no answer while every run of the file is hidden
      const hidden = marked.length === runs.size;
      let batch: CanonicalRecord[] = [];
      let bytes = 0;
      let done = 0;
      const flush = async () => {
        signal?.throwIfAborted();
        const s = await store.ingest(batch, { hidden });
        summary.inserted += s.inserted;
        summary.duplicates += s.duplicates;
        done += batch.length;
        batch = [];
        bytes = 0;
        opts.onProgress?.(done, rows);
      };
      const source = kept ?? recordsOf(importer.read(file, options));
      for await (const r of source) {
        await slicer.tick();
        batch.push(r);
        bytes += recordBytes(r);
        if (batch.length >= batchSize || bytes >= batchBytes) await flush();
      }
      if (batch.length > 0) await flush();
      signal?.throwIfAborted();
      const hook = opts.onCommit;
      const commit = { rows, inserted: summary.inserted, duplicates: summary.duplicates, runs: runs.size };
      if (store.setRunsStatus) {
        const ids = marked.map((m) => m.run.id);
        await store.setRunsStatus(ids, 'imported', hook && ((trx) => hook(trx, commit)));
      } else {
        for (const { run } of marked) await store.updateRun(run.id, { status: 'imported' });
      }
    }
  } catch (err) {
    // abandoned or failed: nothing of it stays (if the store itself is gone, the runs stay `importing`)
    await rollBack(store, marked, watermark).catch(() => undefined);
    throw err;
  } finally {
    unlock();
  }
  summary.committed = true;
  summary.elapsedMs = performance.now() - t0;
  return summary;
}

/**
 * Marks the file's runs `importing`: new runs, complete imported runs the file appends to, and runs a
 * killed import left `importing`. A runner's runs (running, completed...) keep their status.
 */
async function markImporting(
  store: RecordStore,
  specs: Map<string, RunSpec>,
): Promise<{ run: RunInfo; before: RunInfo | null }[]> {
  const out: { run: RunInfo; before: RunInfo | null }[] = [];
  const existing = await runsNow(store, specs);
  for (const [key, spec] of specs) {
    const before = existing.get(key) ?? null;
    const run = await store.ensureRun({ ...spec, status: 'importing' });
    if (run.status === 'importing') out.push({ run, before });
  }
  return out;
}

/**
 * The stored runs among the file's (keyed as `runs` is), read in one query: a findRun per run was 120
 * queued queries for a file of 6 benchmarks × 20 models.
 */
async function runsNow(store: RecordStore, specs: Map<string, RunSpec>): Promise<Map<string, RunInfo>> {
  const out = new Map<string, RunInfo>();
  for (const r of await store.listRuns()) {
    const key = runKey(r.benchmark, r.model, r.label);
    if (specs.has(key)) out.set(key, r);
  }
  return out;
}

const runKey = (benchmark: string, model: string, label: string) =>
  `${benchmark}\u0000${model}\u0000${label}`;

/** Removes what an abandoned import wrote: new runs entirely, its rows of existing ones, whose status comes back. */
async function rollBack(
  store: RecordStore,
  marked: { run: RunInfo; before: RunInfo | null }[],
  watermark: number,
): Promise<void> {
  for (const { run, before } of marked) {
    if (!before) await store.deleteRun(run.id);
    else {
      await store.deleteResultsAfter(run.id, watermark);
      await store.updateRun(run.id, { status: before.status });
    }
  }
}

type Item = { line: number; record: CanonicalRecord } | { line: number; error: RecordError };

/**
 * The gate every importer's records pass: the names rule (core/names.ts: a name the API could not ask for)
 * and what the stores can hold (token counts in 32 bits, metadata text without NUL), each that record's error.
 */
function atTheGate(file: string, item: Item): Item {
  if (!('record' in item)) return item;
  const bad = recordNameProblem(item.record) ?? tokensProblem(item.record) ?? nulProblem(item.record);
  return bad ? { line: item.line, error: { file: basename(file), line: item.line, ...bad } } : item;
}

/** A metadata value with U+0000 breaks the DuckDB ENUM of its field: every analysis grouping by it was a 500. */
function nulProblem(r: CanonicalRecord): { field: string; message: string } | null {
  for (const [k, v] of Object.entries(r.metadata))
    if (typeof v === 'string' && v.includes('\u0000'))
      return { field: `metadata.${k}`, message: 'must not contain a NUL character (U+0000)' };
  return null;
}

async function* recordsOf(items: AsyncIterable<Item>) {
  for await (const item of items) {
    const checked = atTheGate('', item);
    if ('record' in checked) yield checked.record;
  }
}

/** One line per problem: `file:line: field: message`. */
export function formatErrors(s: ImportSummary): string[] {
  const lines = s.errors.map((e) => `${e.file}:${e.line}: ${e.field}: ${e.message}`);
  if (s.errorCount > s.errors.length) lines.push(`… and ${s.errorCount - s.errors.length} more`);
  if (s.stoppedEarly) lines.push(`stopped after ${s.errorCount} invalid records (${s.read} records read)`);
  return lines;
}
