/**
 * The bulk path of an import (see ingest/importers/canonical-bulk.ts): for a canonical CSV into a store
 * that can read files itself, one scan here, then the store reads, checks and writes the whole file in
 * one transaction. It answers null whenever it declines, before anything was written, and importFile
 * goes the record path: the answer is the same either way, only faster here.
 */
import { rmSync } from 'node:fs';
import { makeScratchDir } from '../core/scratch.ts';
import type { RecordStore } from '../core/store.ts';
import type { ImportFileOptions, ImportSummary } from './import-file.ts';
import { scanCsv, scanJsonl } from './importers/bulk-scan.ts';
import { canonicalStage } from './importers/canonical-bulk.ts';
import { stageJsonl } from './importers/canonical-bulk-jsonl.ts';
import { limitsOf } from './importers/limits.ts';
import { withoutGz } from './importers/read.ts';
import type { ImportFormat, ImportOptions } from './importers/types.ts';
import { lockAllRuns } from './run-locks.ts';

/** Why the last import took the record path (tests and the perf script read it). */
export let lastDecline: string | null = null;

export async function importBulk(
  store: RecordStore,
  file: string,
  format: ImportFormat,
  opts: ImportFileOptions,
  options: ImportOptions,
): Promise<ImportSummary | null> {
  lastDecline = null;
  const decline = (why: string) => {
    lastDecline = why;
    return null;
  };
  if (!store.bulkAppend) return decline('the store has no bulk path');
  const syntax = format !== 'canonical' ? null : /\.csv$/i.test(withoutGz(file)) ? 'csv' : 'jsonl';
  if (!syntax) return decline('not a canonical file');
  if (opts.bulk === false) return decline('bulk imports are off (IMPORT_BULK=off)');
  const limits = limitsOf(options);
  const dir = makeScratchDir('import');
  try {
    const scan = await (syntax === 'csv' ? scanCsv : scanJsonl)(file, limits, dir);
    if (!scan.plain) return decline(scan.why);
    opts.signal?.throwIfAborted();
    opts.onProgress?.(0, scan.rows);
    const unlock = await lockAllRuns(store);
    let why: string | null = null;
    try {
      const stats = await store.bulkAppend(
        canonicalStage(
          {
            path: scan.path,
            header: scan.header,
            rows: scan.rows,
            options,
            limits,
            signal: opts.signal,
            scratchDir: dir,
            declined: (w) => {
              why = w;
            },
          },
          syntax === 'csv' ? undefined : stageJsonl,
        ),
      );
      if (!stats) return decline(why ?? 'declined');
      opts.onProgress?.(stats.rows, stats.rows);
      return {
        file,
        format,
        rows: stats.rows,
        inserted: stats.inserted,
        duplicates: stats.duplicates,
        skipped: 0,
        runs: stats.runs,
        benchmarks: stats.benchmarks,
        models: stats.models,
        errors: [],
        errorCount: 0,
        stoppedEarly: false,
        read: stats.rows,
        reread: false,
        committed: true,
        path: 'bulk',
        elapsedMs: 0,
      };
    } finally {
      unlock();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
