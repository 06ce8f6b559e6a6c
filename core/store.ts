import type { CanonicalRecord } from './types.ts';

/**
 * `importing`: a file is being written into the run; analyses leave the run out until the whole file is
 * in (then `imported`). A run left `importing` by a killed import is completed by importing the file again.
 */
/** Every status a run can have (GET /runs and `evalhouse runs list` filter by any of them). */
export const RUN_STATUSES = [
  'created',
  /** waiting in the queue for workers (queue mode: REDIS_URL) */
  'queued',
  'running',
  'paused',
  'failed',
  'completed',
  'imported',
  'importing',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * The stored prompt a run used (prompts/, runs.prompt_name/prompt_version/prompt_label): its name, version
 * number and the label it was chosen by. Not the run config's `prompt_version`, a hash of the template text.
 */
export interface RunPrompt {
  name: string;
  version: number;
  label: string | null;
}

export interface RunInfo {
  id: number;
  benchmark: string;
  model: string;
  label: string;
  source: string;
  status: RunStatus;
  statusReason: string | null;
  /** Fixed at creation (prompt version, parameters...). */
  config: unknown;
  /** Free-form progress/summary the runner keeps up to date. */
  summary: unknown;
  createdAt: string;
  updatedAt: string;
  /** The stored prompt it ran with; null: the benchmark's own template. */
  prompt: RunPrompt | null;
}

export interface RunSpec {
  benchmark: string;
  model: string;
  label: string;
  source: string;
  config?: unknown;
  status?: RunStatus;
  /** When the evaluation ran (ISO 8601 UTC); kept from the run's creation. */
  evaluatedAt?: string | null;
  /** The stored prompt it runs with (kept from the run's creation). */
  prompt?: RunPrompt | null;
}

export interface IngestStats {
  /** Records written now. */
  inserted: number;
  /** Records whose (run, item, sample) key was already stored: left unchanged. */
  duplicates: number;
}

/**
 * Runs inside a write's transaction, after its change and before its commit, so that what it writes (a
 * data change's audit entry, accounts/audit-log.ts appendAudit) commits or rolls back with the change.
 * `trx`: the store's Kysely in that transaction (accounts/account-db.ts StoreKysely); `result`: what
 * the write did.
 */
export type CommitHook<R = void> = (trx: unknown, result: R) => Promise<void>;

export interface IngestOptions {
  /**
   * Every record belongs to a run analyses leave out (`importing`): the write changes no answer, so
   * cached answers stay (the run's completion invalidates them).
   */
  hidden?: boolean;
  /** In the batch's transaction, with its counts. */
  onCommit?: CommitHook<IngestStats> | undefined;
}

/**
 * The bulk path's staged file, which `stage` creates on the store's writer connection inside the write
 * transaction, values already in their stored form:
 * - `bulk_rows` (a table or view), one row per record: `ord` (its order in the file), `benchmark`,
 *   `model`, `label`, `item_key`, the written result columns by their results names (store/schema.ts:
 *   sample, outcome code, correct, ... error) and `evaluated_at` (ISO text or NULL);
 * - `bulk_items` (a table or view), one row per (benchmark, item_key): `input`, `reference`, `metadata` (JSON text) and per
 *   metadata field j of `metaFields` its stored value `v<j>` (text or NULL) and its type code `t<j>`
 *   (store/field-types.ts FIELD_TYPE_CODES).
 * A new item is its bulk_items row; a stored item gains values for fields it had none for. The temp
 * tables and views named `bulk_item*` are dropped once the items are written (their memory goes to the
 * results), and every one named `bulk_*` after the write, staged or not.
 */
export interface StagedBulk {
  metaFields: string[];
}

/** What `stage` runs its SQL on: the writer connection, in the write's transaction. */
export interface SqlRunner {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface BulkStage {
  /** Creates `bulk_rows`; null: the source is not for the bulk path (nothing was written). */
  stage(db: SqlRunner): Promise<StagedBulk | null>;
  /** The source of runs it creates (`import:canonical`). */
  source: string;
  signal?: AbortSignal | undefined;
  /** In the transaction of the file's results, with its counts. */
  onCommit?: CommitHook<BulkStats> | undefined;
}

export interface BulkStats extends IngestStats {
  rows: number;
  runs: number;
  benchmarks: number;
  models: number;
}

/**
 * The system of record: MySQL, or the embedded DuckDB file. Writes are idempotent on (run, item, sample).
 */
export interface RecordStore {
  readonly kind: 'mysql' | 'duckdb';
  migrate(): Promise<void>;
  /** Registers unknown benchmarks, fields, items, models and runs, then appends results insert-if-absent. */
  ingest(records: CanonicalRecord[], opts?: IngestOptions): Promise<IngestStats>;
  /**
   * Writes a whole staged file in one transaction (all or nothing), registering what is new set-based;
   * null when `stage` declined. Only stores that can read the staged file themselves have it.
   */
  bulkAppend?(stage: BulkStage): Promise<BulkStats | null>;
  /**
   * Creates the run, or returns the existing one with the same (benchmark, model, label); `onCommit` in
   * the transaction that creates (or finds) its row, with the run (should it fail, a new row goes too).
   */
  ensureRun(spec: RunSpec, onCommit?: CommitHook<RunInfo>): Promise<RunInfo>;
  getRun(id: number): Promise<RunInfo | null>;
  findRun(benchmark: string, model: string, label: string): Promise<RunInfo | null>;
  listRuns(): Promise<RunInfo[]>;
  /** `onCommit`: in the update's transaction (should it fail, the run is left as it was). */
  updateRun(
    id: number,
    patch: { status?: RunStatus; statusReason?: string | null; summary?: unknown },
    onCommit?: CommitHook,
  ): Promise<void>;
  /** `${item_key}#${sample}` of every stored result of the run whose outcome is not `error`. */
  doneKeys(runId: number): Promise<Set<string>>;
  /** Removes the run's `error` results so a resume asks those items again. Returns how many. */
  deleteErrors(runId: number): Promise<number>;
  /** Removes a run and its results (`onCommit`: in the same transaction). */
  deleteRun(runId: number, onCommit?: CommitHook): Promise<void>;
  /** Sets the status of several runs in one transaction, `onCommit` in it (an import's completion). */
  setRunsStatus?(ids: number[], status: RunStatus, onCommit?: CommitHook): Promise<void>;
  /** The highest result id so far: rows written later have higher ids. */
  resultWatermark(): Promise<number>;
  /** Removes the run's results with an id above `afterId` (an abandoned import's rows). Returns how many. */
  deleteResultsAfter(runId: number, afterId: number): Promise<number>;
  close(): Promise<void>;
}
