/**
 * The one declaration of the stored tables' columns: per column its type in each engine (as the DDL in
 * sql/ creates it, held equal by test/store/schema.integration.test.ts), whether it may be NULL, whether
 * the mirror copies it into DuckDB, and for results how a canonical record's value is normalised before
 * it is stored. The appenders (store/duckdb/append.ts, store/mysql/append.ts) and the mirror's column
 * lists (store/mirror/mirror.ts) and the Kysely table types (StoreTables, below) derive from it.
 */
import type { ColumnType } from 'kysely';
import { MAX_META_COLS, OUTCOME_CODE } from '../core/types.ts';
import type { ResultRow } from './catalog.ts';
import { finiteOrNull, microsecondsOrNull, roundedOrNull } from './result-values.ts';

/** DuckDB's name of a column type (information_schema.columns.data_type). */
export type DuckType =
  | 'INTEGER'
  | 'BIGINT'
  | 'TINYINT'
  | 'UTINYINT'
  | 'DOUBLE'
  | 'BOOLEAN'
  | 'VARCHAR'
  | 'JSON'
  | 'TIMESTAMP';

export interface Column {
  readonly name: string;
  readonly duckdb: DuckType;
  /** Both engines' DDL fill it (a default, a sequence, auto-increment) when an insert leaves it out. */
  readonly defaulted?: boolean;
  /** MySQL's COLUMN_TYPE without display widths, e.g. `int unsigned`, `varchar(191)`, `timestamp(3)`. */
  readonly mysql: string;
  /** Nullable in DuckDB; `mysqlNullable` when MySQL differs (a default fills it there). */
  readonly nullable: boolean;
  readonly mysqlNullable?: boolean;
  /** Copied by the mirror from MySQL into DuckDB (response and error text, item inputs stay in MySQL). */
  readonly mirrored: boolean;
  /** What a value means where the name does not say it (the API's answer schemas show it). */
  readonly description?: string;
}

/** A result column written by the appenders: `value` normalises a record's value for storage. */
export interface ResultColumn extends Column {
  readonly value?: (row: ResultRow) => string | number | boolean | null;
}

type Extra = Partial<Pick<Column, 'mysqlNullable' | 'mirrored' | 'defaulted' | 'description'>>;

/** A column whose name, type, nullability and default stay literal types, for the Kysely table types below. */
interface Declared<N extends string, T extends DuckType, Nl extends boolean, E extends Extra> extends Column {
  readonly name: N;
  readonly duckdb: T;
  readonly nullable: Nl;
  readonly defaulted: E['defaulted'] extends true ? true : false;
}

const col = <
  const N extends string,
  const T extends DuckType,
  const Nl extends boolean,
  const E extends Extra = Record<never, never>,
>(
  name: N,
  duckdb: T,
  mysql: string,
  nullable: Nl,
  extra?: E,
): Declared<N, T, Nl, E> =>
  ({ name, duckdb, mysql, nullable, mirrored: true, defaulted: false, ...extra }) as Declared<N, T, Nl, E>;
/** Filled by both engines when left out of an insert. */
const DEF = { defaulted: true } as const;

export const BENCHMARKS = [
  col('id', 'INTEGER', 'int unsigned', false, DEF),
  col('slug', 'VARCHAR', 'varchar(191)', false),
  col('version', 'VARCHAR', 'varchar(64)', false, DEF),
  col('task', 'VARCHAR', 'varchar(64)', true),
  col('description', 'VARCHAR', 'text', true),
  col('cluster_field', 'VARCHAR', 'varchar(191)', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
] as const;

export const BENCHMARK_FIELDS = [
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('name', 'VARCHAR', 'varchar(191)', false),
  col('col', 'TINYINT', 'tinyint', true),
  col('type', 'VARCHAR', 'varchar(16)', false),
  col('label', 'VARCHAR', 'varchar(191)', false),
] as const;

export const ITEMS = [
  col('id', 'INTEGER', 'int unsigned', false, DEF),
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('item_key', 'VARCHAR', 'varchar(191)', false),
  col('input', 'VARCHAR', 'mediumtext', true, { mirrored: false }),
  col('reference', 'VARCHAR', 'mediumtext', true),
  col('metadata', 'JSON', 'json', true, { mirrored: false }),
  // the groupable metadata values, one column per field (store/field-types.ts assigns them)
  ...Array.from({ length: MAX_META_COLS }, (_, i) =>
    col(`m${i}` as `m${number}`, 'VARCHAR', 'varchar(191)', true),
  ),
] as const;

export const MODELS = [
  col('id', 'INTEGER', 'int unsigned', false, DEF),
  col('name', 'VARCHAR', 'varchar(191)', false),
  col('provider', 'VARCHAR', 'varchar(64)', true),
  col('model_id', 'VARCHAR', 'varchar(191)', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
] as const;

export const RUNS = [
  col('id', 'INTEGER', 'int unsigned', false, DEF),
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('model_id', 'INTEGER', 'int unsigned', false),
  col('label', 'VARCHAR', 'varchar(191)', false),
  col('source', 'VARCHAR', 'varchar(64)', false),
  col('status', 'VARCHAR', 'varchar(16)', false, DEF),
  col('status_reason', 'VARCHAR', 'text', true),
  col('config', 'JSON', 'json', true),
  col('summary', 'JSON', 'json', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
  col('updated_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
  col('evaluated_at', 'TIMESTAMP', 'datetime(3)', true),
  // the stored prompt a run used (prompts/): NULL for a run with the benchmark's own template. Not the
  // run config's `prompt_version` hash of the rendered template (ingest/benchmarks/render.ts).
  col('prompt_name', 'VARCHAR', 'varchar(191)', true, { description: "the stored prompt's name" }),
  col('prompt_version', 'INTEGER', 'int unsigned', true, {
    description: "the stored prompt's version number (1..n)",
  }),
  col('prompt_label', 'VARCHAR', 'varchar(64)', true, {
    description: 'the label the prompt version was chosen by, if any',
  }),
] as const;

const res = <C extends Column>(
  c: C,
  value?: (row: ResultRow) => string | number | boolean | null,
): C & ResultColumn => (value ? { ...c, value } : c);

/** In the appenders' order: a column with `value` is written from the record, the others by the store. */
export const RESULTS = [
  res(col('id', 'BIGINT', 'bigint unsigned', false)),
  res(col('run_id', 'INTEGER', 'int unsigned', false), (r) => r.runId),
  res(col('item_id', 'INTEGER', 'int unsigned', false), (r) => r.itemId),
  res(col('sample', 'INTEGER', 'int unsigned', false), (r) => r.record.sample),
  res(col('outcome', 'UTINYINT', 'tinyint unsigned', false), (r) => OUTCOME_CODE[r.record.outcome]),
  res(col('correct', 'BOOLEAN', 'tinyint', true), (r) => r.record.correct),
  res(col('score', 'DOUBLE', 'double', true), (r) => finiteOrNull(r.record.score)),
  res(
    col('answer', 'VARCHAR', 'mediumtext', true, { description: 'the extracted answer' }),
    (r) => r.record.answer ?? null,
  ),
  res(col('latency_ms', 'DOUBLE', 'double', true), (r) => microsecondsOrNull(r.record.latency_ms)),
  res(col('ttft_ms', 'DOUBLE', 'double', true), (r) => microsecondsOrNull(r.record.ttft_ms)),
  res(col('tokens_in', 'INTEGER', 'int', true), (r) => roundedOrNull(r.record.tokens_in)),
  res(col('tokens_out', 'INTEGER', 'int', true), (r) => roundedOrNull(r.record.tokens_out)),
  res(col('cost_usd', 'DOUBLE', 'double', true), (r) => finiteOrNull(r.record.cost_usd)),
  res(
    col('response', 'VARCHAR', 'mediumtext', true, {
      mirrored: false,
      description: "the model's output as stored",
    }),
    (r) => r.record.response ?? null,
  ),
  res(col('error', 'VARCHAR', 'mediumtext', true, { mirrored: false }), (r) => r.record.error ?? null),
  // DuckDB: the mirror stamps its own copy time; MySQL fills it at insert
  res(col('created_at', 'TIMESTAMP', 'timestamp(3)', true, { mysqlNullable: false, mirrored: false })),
] as const;

/** The result columns an appender writes from a record, in order. */
export const WRITTEN_RESULT_COLUMNS = (RESULTS as readonly ResultColumn[]).filter(
  (c): c is ResultColumn & Required<Pick<ResultColumn, 'value'>> => c.value !== undefined,
);

/** MySQL only: the change log the mirror reads (its DuckDB type names only its value's type below). */
export const CHANGES = [
  col('seq', 'BIGINT', 'bigint unsigned', false, DEF),
  col('kind', 'VARCHAR', 'varchar(16)', false),
  col('run_id', 'INTEGER', 'int unsigned', true),
  col('at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
] as const;

/** MySQL only, queue mode: a queued run's request and its item keys in chunk order (ingest/queue/). */
export const RUN_QUEUE = [
  col('run_id', 'INTEGER', 'int unsigned', false),
  col('spec', 'JSON', 'json', false),
  col('item_keys', 'JSON', 'json', false),
  col('total', 'INTEGER', 'int unsigned', false),
  col('chunk_items', 'INTEGER', 'int unsigned', false),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
] as const;

/** MySQL only, queue mode: scheduled runs (benchmark × model × cron), re-created in BullMQ from here. */
export const SCHEDULES = [
  col('id', 'INTEGER', 'int unsigned', false, DEF),
  col('benchmark', 'VARCHAR', 'varchar(191)', false),
  col('model', 'VARCHAR', 'varchar(191)', false),
  col('cron', 'VARCHAR', 'varchar(191)', false),
  col('spec', 'JSON', 'json', false),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, DEF),
] as const;

// The accounts (accounts/): in the control database only (the embedded file, or MYSQL_URL's database),
// never copied by the mirror (store/mirror/mirror.ts names the tables it copies). Instants an insert
// gives are DATETIME(3) in UTC in MySQL (MariaDB would give a NOT NULL TIMESTAMP a default of its own).
const ACCOUNT = { mirrored: false } as const;
const ACCOUNT_DEF = { mirrored: false, defaulted: true } as const;

/** Workspaces: `default` (seeded by the migration) holds the data the control database holds. */
export const WORKSPACES = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('slug', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('name', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('retention_days', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
  /** The organisation holding it (`default`, id 1, holds the workspaces made before organisations). */
  col('org_id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
] as const;

/** Organisations hold workspaces; `default` (id 1) is seeded by the migration. */
export const ORGANISATIONS = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('slug', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('name', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
] as const;

/** An organisation's admins: they create its workspaces (and are admins of the ones they create). */
export const ORG_ADMINS = [
  col('org_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('user_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
] as const;

/** Users: the email lower-cased (unique); no password for those who sign in with Google or GitHub only. */
export const USERS = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('email', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('name', 'VARCHAR', 'varchar(191)', true, ACCOUNT),
  col('password_hash', 'VARCHAR', 'varchar(255)', true, ACCOUNT),
  col('disabled', 'BOOLEAN', 'tinyint', false, ACCOUNT_DEF),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
] as const;

/** External identities (Google `sub`, GitHub id) linked to a user; (provider, subject) unique. */
export const IDENTITIES = [
  col('provider', 'VARCHAR', 'varchar(16)', false, ACCOUNT),
  col('subject', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('user_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
] as const;

/** A user's role in a workspace; (user_id, workspace_id) unique. */
export const MEMBERSHIPS = [
  col('user_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('workspace_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('role', 'VARCHAR', 'varchar(16)', false, ACCOUNT),
] as const;

/** API keys: the token's HMAC only (token_hash, unique), and its first characters to recognise it. */
export const API_KEYS = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('name', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('prefix', 'VARCHAR', 'varchar(16)', false, ACCOUNT),
  col('token_hash', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('workspace_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('user_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('role', 'VARCHAR', 'varchar(16)', false, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
  col('expires_at', 'TIMESTAMP', 'datetime(3)', true, ACCOUNT),
  col('last_used_at', 'TIMESTAMP', 'datetime(3)', true, ACCOUNT),
  col('revoked_at', 'TIMESTAMP', 'datetime(3)', true, ACCOUNT),
] as const;

/** A sign-in: the family of refresh tokens it rotates through (a replayed token revokes it). */
export const SESSION_FAMILIES = [
  col('family', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('user_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('address', 'VARCHAR', 'varchar(191)', true, ACCOUNT),
  col('user_agent', 'VARCHAR', 'varchar(512)', true, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
  col('expires_at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  col('revoked_at', 'TIMESTAMP', 'datetime(3)', true, ACCOUNT),
] as const;

/** Refresh tokens (their HMAC): each is used once, then its successor in the family is. */
export const REFRESH_TOKENS = [
  col('token_hash', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('family', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false, ACCOUNT_DEF),
  col('used_at', 'TIMESTAMP', 'datetime(3)', true, ACCOUNT),
] as const;

/** Named values the server keeps: the generated secret, the audit chain's head (its append lock). */
export const SETTINGS = [
  col('name', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('value', 'VARCHAR', 'text', false, ACCOUNT),
] as const;

/** The append-only, hash-chained audit log (accounts/audit-log.ts); every database has its own. */
export const AUDIT_LOG = [
  col('id', 'BIGINT', 'bigint unsigned', false, ACCOUNT_DEF),
  col('at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  col('workspace_id', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('action', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('resource', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('actor_user_id', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('actor_email', 'VARCHAR', 'varchar(191)', true, ACCOUNT),
  col('actor_role', 'VARCHAR', 'varchar(16)', true, ACCOUNT),
  col('actor_key_id', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('before', 'JSON', 'json', true, ACCOUNT),
  col('after', 'JSON', 'json', true, ACCOUNT),
  col('request_id', 'VARCHAR', 'varchar(191)', true, ACCOUNT),
  col('address', 'VARCHAR', 'varchar(191)', true, ACCOUNT),
  col('prev_hash', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
  col('hash', 'VARCHAR', 'varchar(64)', false, ACCOUNT),
] as const;

// Prompts (prompts/, issue #23): in each workspace's own database, never copied by the mirror. Instants
// are given by the store (DATETIME(3) in UTC in MySQL); JSON columns hold arrays and objects.
const PROMPT = { mirrored: false } as const;
const PROMPT_DEF = { mirrored: false, defaulted: true } as const;

/** A prompt template: its name unique per workspace; the model and parameters it is meant for. */
export const PROMPTS = [
  col('id', 'INTEGER', 'int unsigned', false, PROMPT_DEF),
  col('name', 'VARCHAR', 'varchar(191)', false, PROMPT),
  col('description', 'VARCHAR', 'text', true, PROMPT),
  col('tags', 'JSON', 'json', false, PROMPT),
  col('model', 'VARCHAR', 'varchar(191)', true, PROMPT),
  col('params', 'JSON', 'json', false, PROMPT),
  col('created_by', 'INTEGER', 'int unsigned', true, PROMPT),
  col('created_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
  col('updated_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
] as const;

/** A prompt's versions: immutable (no update path; a MySQL trigger refuses one), numbered 1..n. */
export const PROMPT_VERSIONS = [
  col('prompt_id', 'INTEGER', 'int unsigned', false, PROMPT),
  col('version', 'INTEGER', 'int unsigned', false, PROMPT),
  col('system_text', 'VARCHAR', 'mediumtext', true, PROMPT),
  col('user_text', 'VARCHAR', 'mediumtext', false, PROMPT),
  col('variables', 'JSON', 'json', false, PROMPT),
  col('params', 'JSON', 'json', false, PROMPT),
  col('message', 'VARCHAR', 'text', true, PROMPT),
  col('created_by', 'INTEGER', 'int unsigned', true, PROMPT),
  col('created_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
] as const;

/** The one auto-saved draft of a prompt, until it is saved as a version. */
export const PROMPT_DRAFTS = [
  col('prompt_id', 'INTEGER', 'int unsigned', false, PROMPT),
  col('system_text', 'VARCHAR', 'mediumtext', true, PROMPT),
  col('user_text', 'VARCHAR', 'mediumtext', false, PROMPT),
  col('variables', 'JSON', 'json', false, PROMPT),
  col('params', 'JSON', 'json', false, PROMPT),
  col('base_version', 'INTEGER', 'int unsigned', true, PROMPT),
  col('updated_by', 'INTEGER', 'int unsigned', true, PROMPT),
  col('updated_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
] as const;

/** A label (`production`, `staging`, any name) pointing at one version of a prompt. */
export const PROMPT_LABELS = [
  col('prompt_id', 'INTEGER', 'int unsigned', false, PROMPT),
  col('label', 'VARCHAR', 'varchar(64)', false, PROMPT),
  col('version', 'INTEGER', 'int unsigned', false, PROMPT),
  col('updated_by', 'INTEGER', 'int unsigned', true, PROMPT),
  col('updated_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
] as const;

/** Every move of a label, in order: what a rollback walks back (from_version NULL: the label's creation). */
export const PROMPT_LABEL_MOVES = [
  col('id', 'BIGINT', 'bigint unsigned', false, PROMPT_DEF),
  col('prompt_id', 'INTEGER', 'int unsigned', false, PROMPT),
  col('label', 'VARCHAR', 'varchar(64)', false, PROMPT),
  col('from_version', 'INTEGER', 'int unsigned', true, PROMPT),
  col('to_version', 'INTEGER', 'int unsigned', false, PROMPT),
  col('is_rollback', 'BOOLEAN', 'tinyint', false, PROMPT),
  col('moved_by', 'INTEGER', 'int unsigned', true, PROMPT),
  col('moved_at', 'TIMESTAMP', 'datetime(3)', false, PROMPT),
] as const;

/** A user's favourite prompts. */
export const PROMPT_FAVOURITES = [
  col('prompt_id', 'INTEGER', 'int unsigned', false, PROMPT),
  col('user_id', 'INTEGER', 'int unsigned', false, PROMPT),
] as const;

// The model registry (#22, models/): in each workspace's own database, never copied by the mirror.
// Instants are DATETIME(3) in UTC given by the store's clock (the audit log's convention).

/** Registered models: the API key only as AES-256-GCM ciphertext (models/key-cipher.ts), its secret's version and last four characters. */
export const REGISTRY_MODELS = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('name', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('provider', 'VARCHAR', 'varchar(32)', false, ACCOUNT),
  col('model', 'VARCHAR', 'varchar(191)', false, ACCOUNT),
  col('base_url', 'VARCHAR', 'varchar(2048)', true, ACCOUNT),
  col('key_ciphertext', 'VARCHAR', 'text', true, ACCOUNT),
  col('key_version', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('key_last4', 'VARCHAR', 'varchar(4)', true, ACCOUNT),
  col('params', 'JSON', 'json', false, ACCOUNT),
  col('active', 'BOOLEAN', 'tinyint', false, ACCOUNT_DEF),
  col('created_at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  col('updated_at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
] as const;

/** A model's prices per 1M tokens from the instant each took effect; (model_id, effective_from) unique. */
export const REGISTRY_MODEL_PRICES = [
  col('model_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('effective_from', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  col('price_in_per_mtok', 'DOUBLE', 'double', false, ACCOUNT),
  col('price_out_per_mtok', 'DOUBLE', 'double', false, ACCOUNT),
] as const;

/** A model's health checks (status, latency, error without secrets, the provider's rate-limit snapshot). */
export const REGISTRY_MODEL_HEALTH = [
  col('model_id', 'INTEGER', 'int unsigned', false, ACCOUNT),
  col('at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  col('status', 'VARCHAR', 'varchar(8)', false, ACCOUNT),
  col('latency_ms', 'DOUBLE', 'double', true, ACCOUNT),
  col('error', 'VARCHAR', 'text', true, ACCOUNT),
  col('limits', 'JSON', 'json', true, ACCOUNT),
] as const;

/**
 * The playground's history (api/playground/history.ts): each user's last 50 runs in the workspace's own
 * database, never copied by the mirror. user_id NULL: the local user of auth off.
 */
export const PLAYGROUND_RUNS = [
  col('id', 'INTEGER', 'int unsigned', false, ACCOUNT_DEF),
  col('user_id', 'INTEGER', 'int unsigned', true, ACCOUNT),
  col('created_at', 'TIMESTAMP', 'datetime(3)', false, ACCOUNT),
  /** system, user, variables, models with their parameters */
  col('input', 'JSON', 'json', false, ACCOUNT),
  /** per model: text, error, ttft_ms, total_ms, tokens_in, tokens_out, cost */
  col('output', 'JSON', 'json', false, ACCOUNT),
] as const;

/** Every declared table of both engines, by name. */
export const TABLES: Readonly<Record<string, readonly Column[]>> = {
  benchmarks: BENCHMARKS,
  benchmark_fields: BENCHMARK_FIELDS,
  items: ITEMS,
  models: MODELS,
  runs: RUNS,
  results: RESULTS,
  workspaces: WORKSPACES,
  organisations: ORGANISATIONS,
  org_admins: ORG_ADMINS,
  users: USERS,
  identities: IDENTITIES,
  memberships: MEMBERSHIPS,
  api_keys: API_KEYS,
  session_families: SESSION_FAMILIES,
  refresh_tokens: REFRESH_TOKENS,
  settings: SETTINGS,
  audit_log: AUDIT_LOG,
  prompts: PROMPTS,
  prompt_versions: PROMPT_VERSIONS,
  prompt_drafts: PROMPT_DRAFTS,
  prompt_labels: PROMPT_LABELS,
  prompt_label_moves: PROMPT_LABEL_MOVES,
  prompt_favourites: PROMPT_FAVOURITES,
  registry_models: REGISTRY_MODELS,
  registry_model_prices: REGISTRY_MODEL_PRICES,
  registry_model_health: REGISTRY_MODEL_HEALTH,
  playground_runs: PLAYGROUND_RUNS,
};

/** The tables only MySQL has. */
export const MYSQL_TABLES: Readonly<Record<string, readonly Column[]>> = {
  changes: CHANGES,
  run_queue: RUN_QUEUE,
  schedules: SCHEDULES,
};

/**
 * A value as a query reads it and as a query writes it, per DuckDB type name (the MySQL types are its
 * equivalents): what the record store's Kysely queries (store/catalog.ts, store/runs.ts) are typed by.
 */
interface Values {
  INTEGER: [number, number];
  BIGINT: [number, number];
  TINYINT: [number, number];
  UTINYINT: [number, number];
  DOUBLE: [number, number];
  /** MySQL's tinyint reads 0/1 */
  BOOLEAN: [boolean | number, boolean | number];
  VARCHAR: [string, string];
  /** text on DuckDB and MariaDB, parsed by mysql2 on MySQL; written as JSON text */
  JSON: [unknown, string];
  /** a Date from mysql2, text from DuckDB; written as sqlTimestamp text (store/runs.ts) */
  TIMESTAMP: [Date | string, string];
}
type NullOf<C extends Column> = C['nullable'] extends true ? null : never;
type ValueOf<C extends Column> = ColumnType<
  Values[C['duckdb']][0] | NullOf<C>,
  Values[C['duckdb']][1] | NullOf<C> | (C['defaulted'] extends true ? undefined : never),
  Values[C['duckdb']][1] | NullOf<C>
>;
/** A table's Kysely row type, derived from its column declaration above (no second list of columns). */
export type TableOf<Cs extends readonly Column[]> = { [C in Cs[number] as C['name']]: ValueOf<C> };

export interface StoreTables {
  benchmarks: TableOf<typeof BENCHMARKS>;
  benchmark_fields: TableOf<typeof BENCHMARK_FIELDS>;
  items: TableOf<typeof ITEMS>;
  models: TableOf<typeof MODELS>;
  runs: TableOf<typeof RUNS>;
  results: TableOf<typeof RESULTS>;
  changes: TableOf<typeof CHANGES>;
  run_queue: TableOf<typeof RUN_QUEUE>;
  schedules: TableOf<typeof SCHEDULES>;
  workspaces: TableOf<typeof WORKSPACES>;
  organisations: TableOf<typeof ORGANISATIONS>;
  org_admins: TableOf<typeof ORG_ADMINS>;
  users: TableOf<typeof USERS>;
  identities: TableOf<typeof IDENTITIES>;
  memberships: TableOf<typeof MEMBERSHIPS>;
  api_keys: TableOf<typeof API_KEYS>;
  session_families: TableOf<typeof SESSION_FAMILIES>;
  refresh_tokens: TableOf<typeof REFRESH_TOKENS>;
  settings: TableOf<typeof SETTINGS>;
  audit_log: TableOf<typeof AUDIT_LOG>;
  prompts: TableOf<typeof PROMPTS>;
  prompt_versions: TableOf<typeof PROMPT_VERSIONS>;
  prompt_drafts: TableOf<typeof PROMPT_DRAFTS>;
  prompt_labels: TableOf<typeof PROMPT_LABELS>;
  prompt_label_moves: TableOf<typeof PROMPT_LABEL_MOVES>;
  prompt_favourites: TableOf<typeof PROMPT_FAVOURITES>;
  registry_models: TableOf<typeof REGISTRY_MODELS>;
  registry_model_prices: TableOf<typeof REGISTRY_MODEL_PRICES>;
  registry_model_health: TableOf<typeof REGISTRY_MODEL_HEALTH>;
  playground_runs: TableOf<typeof PLAYGROUND_RUNS>;
}

export const mirrored = (columns: readonly Column[]): Column[] => columns.filter((c) => c.mirrored);
