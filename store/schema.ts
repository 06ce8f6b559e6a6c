/**
 * The one declaration of the stored tables' columns: per column its type in each engine (as the DDL in
 * sql/ creates it, held equal by test/store/schema.integration.test.ts), whether it may be NULL, whether
 * the mirror copies it into DuckDB, and for results how a canonical record's value is normalised before
 * it is stored. The appenders (store/duckdb/append.ts, store/mysql/append.ts) and the mirror's column
 * lists (store/mirror/mirror.ts) derive from it.
 */
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
  /** MySQL's COLUMN_TYPE without display widths, e.g. `int unsigned`, `varchar(191)`, `timestamp(3)`. */
  readonly mysql: string;
  /** Nullable in DuckDB; `mysqlNullable` when MySQL differs (a default fills it there). */
  readonly nullable: boolean;
  readonly mysqlNullable?: boolean;
  /** Copied by the mirror from MySQL into DuckDB (response and error text, item inputs stay in MySQL). */
  readonly mirrored: boolean;
}

/** A result column written by the appenders: `value` normalises a record's value for storage. */
export interface ResultColumn extends Column {
  readonly value?: (row: ResultRow) => string | number | boolean | null;
}

const col = (
  name: string,
  duckdb: DuckType,
  mysql: string,
  nullable: boolean,
  extra: Partial<Pick<Column, 'mysqlNullable' | 'mirrored'>> = {},
): Column => ({ name, duckdb, mysql, nullable, mirrored: true, ...extra });

export const BENCHMARKS: readonly Column[] = [
  col('id', 'INTEGER', 'int unsigned', false),
  col('slug', 'VARCHAR', 'varchar(191)', false),
  col('version', 'VARCHAR', 'varchar(64)', false),
  col('task', 'VARCHAR', 'varchar(64)', true),
  col('description', 'VARCHAR', 'text', true),
  col('cluster_field', 'VARCHAR', 'varchar(191)', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false),
];

export const BENCHMARK_FIELDS: readonly Column[] = [
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('name', 'VARCHAR', 'varchar(191)', false),
  col('col', 'TINYINT', 'tinyint', true),
  col('type', 'VARCHAR', 'varchar(16)', false),
  col('label', 'VARCHAR', 'varchar(191)', false),
];

export const ITEMS: readonly Column[] = [
  col('id', 'INTEGER', 'int unsigned', false),
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('item_key', 'VARCHAR', 'varchar(191)', false),
  col('input', 'VARCHAR', 'mediumtext', true, { mirrored: false }),
  col('reference', 'VARCHAR', 'mediumtext', true),
  col('metadata', 'JSON', 'json', true, { mirrored: false }),
  // the groupable metadata values, one column per field (store/field-types.ts assigns them)
  ...Array.from({ length: MAX_META_COLS }, (_, i) => col(`m${i}`, 'VARCHAR', 'varchar(191)', true)),
];

export const MODELS: readonly Column[] = [
  col('id', 'INTEGER', 'int unsigned', false),
  col('name', 'VARCHAR', 'varchar(191)', false),
  col('provider', 'VARCHAR', 'varchar(64)', true),
  col('model_id', 'VARCHAR', 'varchar(191)', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false),
];

export const RUNS: readonly Column[] = [
  col('id', 'INTEGER', 'int unsigned', false),
  col('benchmark_id', 'INTEGER', 'int unsigned', false),
  col('model_id', 'INTEGER', 'int unsigned', false),
  col('label', 'VARCHAR', 'varchar(191)', false),
  col('source', 'VARCHAR', 'varchar(64)', false),
  col('status', 'VARCHAR', 'varchar(16)', false),
  col('status_reason', 'VARCHAR', 'text', true),
  col('config', 'JSON', 'json', true),
  col('summary', 'JSON', 'json', true),
  col('created_at', 'TIMESTAMP', 'timestamp(3)', false),
  col('updated_at', 'TIMESTAMP', 'timestamp(3)', false),
  col('evaluated_at', 'TIMESTAMP', 'datetime(3)', true),
];

const res = (c: Column, value?: (row: ResultRow) => string | number | boolean | null): ResultColumn =>
  value ? { ...c, value } : c;

/** In the appenders' order: a column with `value` is written from the record, the others by the store. */
export const RESULTS: readonly ResultColumn[] = [
  res(col('id', 'BIGINT', 'bigint unsigned', false)),
  res(col('run_id', 'INTEGER', 'int unsigned', false), (r) => r.runId),
  res(col('item_id', 'INTEGER', 'int unsigned', false), (r) => r.itemId),
  res(col('sample', 'INTEGER', 'int unsigned', false), (r) => r.record.sample),
  res(col('outcome', 'UTINYINT', 'tinyint unsigned', false), (r) => OUTCOME_CODE[r.record.outcome]),
  res(col('correct', 'BOOLEAN', 'tinyint', true), (r) => r.record.correct),
  res(col('score', 'DOUBLE', 'double', true), (r) => finiteOrNull(r.record.score)),
  res(col('answer', 'VARCHAR', 'mediumtext', true), (r) => r.record.answer ?? null),
  res(col('latency_ms', 'DOUBLE', 'double', true), (r) => microsecondsOrNull(r.record.latency_ms)),
  res(col('ttft_ms', 'DOUBLE', 'double', true), (r) => microsecondsOrNull(r.record.ttft_ms)),
  res(col('tokens_in', 'INTEGER', 'int', true), (r) => roundedOrNull(r.record.tokens_in)),
  res(col('tokens_out', 'INTEGER', 'int', true), (r) => roundedOrNull(r.record.tokens_out)),
  res(col('cost_usd', 'DOUBLE', 'double', true), (r) => finiteOrNull(r.record.cost_usd)),
  res(col('response', 'VARCHAR', 'mediumtext', true, { mirrored: false }), (r) => r.record.response ?? null),
  res(col('error', 'VARCHAR', 'mediumtext', true, { mirrored: false }), (r) => r.record.error ?? null),
  // DuckDB: the mirror stamps its own copy time; MySQL fills it at insert
  res(col('created_at', 'TIMESTAMP', 'timestamp(3)', true, { mysqlNullable: false, mirrored: false })),
];

/** The result columns an appender writes from a record, in order. */
export const WRITTEN_RESULT_COLUMNS = RESULTS.filter(
  (c): c is ResultColumn & Required<Pick<ResultColumn, 'value'>> => c.value !== undefined,
);

/** Every declared table, by name. */
export const TABLES: Readonly<Record<string, readonly Column[]>> = {
  benchmarks: BENCHMARKS,
  benchmark_fields: BENCHMARK_FIELDS,
  items: ITEMS,
  models: MODELS,
  runs: RUNS,
  results: RESULTS,
};

export const mirrored = (columns: readonly Column[]): Column[] => columns.filter((c) => c.mirrored);
