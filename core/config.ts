import { z } from 'zod';

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
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  IMPORT_MAX_ERRORS: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  IMPORT_KEEP_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(256 * 1024 ** 2),
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(100).max(1_000_000).default(5000),
  IMPORT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 40)
    .default(2 * 1024 ** 3),
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
  /** Imports the server runs at once; more wait briefly, then get 503 with Retry-After. */
  importConcurrency: number;
  /** Validation of an import stops after this many invalid records. */
  importMaxErrors: number;
  /** Parsed records of one import kept in memory between its passes, in bytes (beyond: the file is read again). */
  importKeepBytes: number;
  /** Records per store write when the server imports (small: other requests wait at most one batch). */
  importBatchRows: number;
  /** The largest body POST /imports accepts, as sent (compressed or not); 413 beyond. */
  importMaxUploadBytes: number;
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
    importConcurrency: e.IMPORT_CONCURRENCY,
    importMaxErrors: e.IMPORT_MAX_ERRORS,
    importKeepBytes: e.IMPORT_KEEP_BYTES,
    importBatchRows: e.IMPORT_BATCH_ROWS,
    importMaxUploadBytes: e.IMPORT_MAX_UPLOAD_BYTES,
    env,
  };
}
