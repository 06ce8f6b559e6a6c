/**
 * The bulk path of an import (see ingest/importers/canonical-bulk.ts): for a canonical CSV or JSONL file
 * (plain or gzipped) into a store that can read files itself, one scan here, then the store reads, checks
 * and writes the whole file in one transaction. It answers null whenever it declines, with nothing
 * written, and importFile goes the record path: the answer is the same either way, only faster here.
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

/** Why this process's last import took the record path (diagnostics: tests and the perf scripts read it). */
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
      const stats = await store
        .bulkAppend({
          ...canonicalStage(
            {
              path: scan.path,
              header: scan.header,
              rows: scan.rows,
              longest: scan.longest,
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
          // the import's audit entry commits with its results
          onCommit: opts.onCommit && ((trx, s) => opts.onCommit!(trx, s)),
        })
        .catch((err: unknown) => {
          // the write rolled back: nothing of it stays, and the record path (the reference) reads the file
          if (opts.signal?.aborted) throw err;
          why = `the bulk path failed: ${(err as Error).message.split('\n')[0]}`;
          return null;
        });
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
