import { z } from 'zod';
/**
 * The data model shared by api/, ingest/ and store/. One copy of each type.
 */

/** What became of one sample of one item. `correct` is null exactly when the outcome is unscored or error. */
export const OUTCOMES = ['correct', 'incorrect', 'unscored', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Stored as a small integer code in both stores (stable: never reorder). */
export const OUTCOME_CODE: Record<Outcome, number> = { correct: 0, incorrect: 1, unscored: 2, error: 3 };

/** A metadata value: a scalar, as stored and as answers carry it. */
export const MetaValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type MetaValue = z.infer<typeof MetaValueSchema>;
export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'text';

/** A metadata field of a benchmark. `col` is the positional column we generated for it (m0..m15); text fields have none. */
export interface MetadataField {
  name: string;
  type: FieldType;
  label: string;
  col: number | null;
  /** A level read from the run instead of the item (api/analysis/run-dimensions.ts): its runs column. */
  runColumn?: 'prompt_name' | 'prompt_version';
}

/** The canonical per-(model, item, sample) record every importer and the runner produce. */
export interface CanonicalRecord {
  benchmark: string;
  model: string;
  /** Run label; records of one (benchmark, model, run) form one run. Default "default". */
  run?: string | undefined;
  item_id: string;
  /** 0-based sample index for repeated sampling of one item; default 0. */
  sample: number;
  outcome: Outcome;
  correct: boolean | null;
  score: number | null;
  metadata: Record<string, MetaValue>;
  input?: string | null | undefined;
  response?: string | null | undefined;
  /** The extracted answer (used by majority vote). */
  answer?: string | null | undefined;
  reference?: string | null | undefined;
  latency_ms?: number | null | undefined;
  ttft_ms?: number | null | undefined;
  tokens_in?: number | null | undefined;
  tokens_out?: number | null | undefined;
  cost_usd?: number | null | undefined;
  error?: string | null | undefined;
  /** Where the record came from, e.g. "import:lm-eval", "runner". */
  source?: string | undefined;
  /** When the evaluation ran (ISO 8601 UTC), where the harness file says: dates the run; the first record of a new run sets it. */
  evaluated_at?: string | null | undefined;
}

/** Max positional metadata columns per benchmark; further fields are kept in JSON only. */
export const MAX_META_COLS = 16;
export const META_COLS = Array.from({ length: MAX_META_COLS }, (_, i) => `m${i}`);
/** Longer values make a field `text` (kept, not groupable). */
export const MAX_GROUP_VALUE_LEN = 191;
