import { z } from 'zod';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from '../ingest/importers/limits.ts';

/** A byte or count bound: a positive integer (the limits are in ingest/importers/limits.ts). */
const bound = (fallback: number) =>
  z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(fallback);

/** The one place that reads the environment. Everything else receives a Config. */
const EnvSchema = z.object({
  MYSQL_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || /^mysql:\/\//.test(v), 'must look like mysql://user:pass@host:3306/db'),
  DUCKDB_PATH: z.string().min(1).default('data/evalhouse.duckdb'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  DUCKDB_READERS: z.coerce.number().int().min(1).max(64).default(4),
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(1024).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EVALHOUSE_URL: z.string().url().optional(),
  QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  ROW_CAP: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  MIRROR_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1000),
  DEMO_DATA: z.enum(['auto', 'off']).default('auto'),
  IMPORT_MAX_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxBytes),
  IMPORT_MAX_RECORD_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxRecordBytes),
  IMPORT_MAX_FIELD_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxFieldBytes),
  IMPORT_MAX_ZIP_ENTRIES: bound(DEFAULT_IMPORT_LIMITS.maxZipEntries),
  IMPORT_MAX_ZIP_ENTRY_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxZipEntryBytes),
});

export type Config = {
  mysqlUrl: string | undefined;
  duckdbPath: string;
  host: string;
  port: number;
  mysqlPoolSize: number;
  /** DuckDB connections that answer analyses at once (each uses DuckDB's threads); more wait in line. */
  duckdbReaders: number;
  /**
   * DuckDB's worker threads (default: DuckDB's own, one per core). 1 trades a lone large query's speed
   * (≈ 1.8× slower) for more analyses per second under concurrent load (bench/README.md).
   */
  duckdbThreads: number | undefined;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Where CLI writing commands find a running server (embedded mode). */
  evalhouseUrl: string;
  queryTimeoutMs: number;
  rowCap: number;
  mirrorIntervalMs: number;
  demoData: 'auto' | 'off';
  /** What one import may cost (decompressed bytes, record, field and zip entry sizes); 413 beyond. */
  importLimits: ImportLimits;
  /**
   * The environment itself, for the variables models.yaml names as API key sources (never
   * logged, never written). Only this module reads process.env; the runner reads keys from here.
   */
  env: Record<string, string | undefined>;
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`,
    );
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    mysqlUrl: e.MYSQL_URL,
    duckdbPath: e.DUCKDB_PATH,
    host: e.HOST,
    port: e.PORT,
    mysqlPoolSize: e.MYSQL_POOL_SIZE,
    duckdbReaders: e.DUCKDB_READERS,
    duckdbThreads: e.DUCKDB_THREADS,
    logLevel: e.LOG_LEVEL,
    evalhouseUrl: e.EVALHOUSE_URL ?? `http://${e.HOST}:${e.PORT}`,
    queryTimeoutMs: e.QUERY_TIMEOUT_MS,
    rowCap: e.ROW_CAP,
    mirrorIntervalMs: e.MIRROR_INTERVAL_MS,
    demoData: e.DEMO_DATA,
    importLimits: {
      maxBytes: e.IMPORT_MAX_BYTES,
      maxRecordBytes: e.IMPORT_MAX_RECORD_BYTES,
      maxFieldBytes: e.IMPORT_MAX_FIELD_BYTES,
      maxZipEntries: e.IMPORT_MAX_ZIP_ENTRIES,
      maxZipEntryBytes: e.IMPORT_MAX_ZIP_ENTRY_BYTES,
    },
    env,
  };
}
