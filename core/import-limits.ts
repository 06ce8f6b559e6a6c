/**
 * The bounds of one import, as data: what core/config.ts reads from the environment and the importers
 * (ingest/importers/limits.ts) enforce. Here, not in ingest/, so the configuration depends on no part.
 */
export interface ImportLimits {
  /** Decompressed bytes of one file (a zip: all its entries together). */
  maxBytes: number;
  /** One line of JSONL, one CSV record, or one whole JSON document (Inspect JSON log, promptfoo export, results json). */
  maxRecordBytes: number;
  /** One text field: input, response, answer, reference, error, or a metadata string. */
  maxFieldBytes: number;
  /** Entries of one zip (Inspect `.eval`, zipped lm-eval output). */
  maxZipEntries: number;
  /**
   * Decompressed size of one zip entry read into memory (Inspect's header.json or one sample),
   * counted while inflating. Entries streamed to disk (lm-eval samples in a zip) count against maxBytes.
   */
  maxZipEntryBytes: number;
}

const MiB = 1024 ** 2;

/**
 * Sized on real files (test/fixtures, shared/data/formats): lm-eval lines are ~8 KB, Inspect logs
 * 20–100 KB, the longest response a few KB. The bounds leave two to three orders of magnitude:
 * - 4 GiB per file: ~20M canonical records, more than any harness writes per run.
 * - 64 MiB per record: a whole Inspect JSON log or promptfoo export is one record here (larger
 *   logs belong in `.eval`, which is read per sample); JSON.parse then holds a few times that.
 * - 1 MiB per field: ~250k tokens of text, above the longest reasoning traces and long-context
 *   prompts (128k tokens ≈ 512 KB); what is stored per row stays bounded.
 * - 100,000 zip entries: an Inspect eval of 10,000 samples × 5 epochs plus its summaries.
 * - 64 MiB per zip entry: header.json is KB; a sample with base64 images may be MBs.
 */
export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxBytes: 4 * 1024 * MiB,
  maxRecordBytes: 64 * MiB,
  maxFieldBytes: 1 * MiB,
  maxZipEntries: 100_000,
  maxZipEntryBytes: 64 * MiB,
};

/** The environment variable of each limit (core/config.ts reads them; messages name them). */
export const LIMIT_SETTINGS: Record<keyof ImportLimits, string> = {
  maxBytes: 'IMPORT_MAX_BYTES',
  maxRecordBytes: 'IMPORT_MAX_RECORD_BYTES',
  maxFieldBytes: 'IMPORT_MAX_FIELD_BYTES',
  maxZipEntries: 'IMPORT_MAX_ZIP_ENTRIES',
  maxZipEntryBytes: 'IMPORT_MAX_ZIP_ENTRY_BYTES',
};
