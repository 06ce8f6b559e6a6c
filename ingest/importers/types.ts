import type { CanonicalRecord } from '../../core/types.ts';
import type { ImportLimits } from './limits.ts';

/** A problem with one input record: file, 1-based line (or record number for JSON documents), and field. */
export interface RecordError {
  file: string;
  line: number;
  field: string;
  message: string;
}

export type ImportItem = { line: number; record: CanonicalRecord } | { line: number; error: RecordError };

export type ImportFormat = 'canonical' | 'lm-eval' | 'inspect' | 'promptfoo' | 'qwen-math';

export interface ImportOptions {
  /** Overrides the benchmark name the file implies. */
  benchmark?: string | undefined;
  /** Overrides the model name the file implies. */
  model?: string | undefined;
  /** Run label for every record (default: the file's own, or "default"). */
  run?: string | undefined;
  /** What the import may cost (default DEFAULT_IMPORT_LIMITS); each bound exceeded is a 413. */
  limits?: ImportLimits | undefined;
}

/** An importer turns one file into canonical records, reporting bad records instead of throwing. */
export interface Importer {
  format: ImportFormat;
  /** Cheap check on the path and the first bytes of the file. */
  detect(path: string, head: string): boolean;
  read(path: string, options: ImportOptions): AsyncIterable<ImportItem>;
}
