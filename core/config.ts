import { z } from 'zod';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './import-limits.ts';

/** A byte or count bound: a positive integer (the limits' defaults are in core/import-limits.ts). */
const bound = (fallback: number) =>
  z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(fallback);

/** A comma-separated list (blanks ignored), each entry checked by `entry` and lower-cased. */
const commaList = (entry: (v: string) => boolean, what: string) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter((x) => x !== ''),
    )
    .refine((list) => list.every(entry), `a comma-separated list of ${what}`);

/** A host name without port; a leading dot (`.example.com`) also allows every subdomain. */
const isHostName = (v: string) =>
  /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(v);
/** An origin exactly as a browser sends it: scheme://host[:port], nothing after. */
const isOrigin = (v: string) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
  } catch {
    return false;
  }
};

/** A DuckDB memory size (its own units; DuckDB parses it again when the instance opens). */
const DUCKDB_SIZE = /^[0-9]{1,9}(\.[0-9]{1,3})?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
/**
 * DuckDB's buffer pool for the embedded file (DUCKDB_MEMORY_LIMIT), where DuckDB's own default is 80 % of
 * RAM: without a bound an import kept every staged page and the server grew with the file (4.6 GB at 4M
 * rows). perf/README.md has the figures that chose it.
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '2GB';

/** An optional text variable, where an empty value means unset. */
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/** One secret of MODEL_KEYS_SECRETS: its version (stored beside each ciphertext) and its 32 bytes. */
export interface ModelKeySecret {
  version: number;
  key: Buffer;
}

/**
 * `v2:<base64 of 32 bytes>,v1:<…>` (commas or lines): the first is current (new keys), the others still
 * decrypt. The MODEL_KEYS_SECRETS format, and the embedded key file's. Messages never quote the value.
 */
export function parseModelKeySecrets(text: string): ModelKeySecret[] {
  const out: ModelKeySecret[] = [];
  const parts = text
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter(Boolean);
  for (const [i, part] of parts.entries()) {
    const m = /^v([1-9][0-9]{0,8}):([A-Za-z0-9+/]+={0,2})$/.exec(part);
    const key = m ? Buffer.from(m[2]!, 'base64') : null;
    if (!m || !key || key.length !== 32)
      throw new Error(
        `entry ${i + 1} is not v<version>:<base64 of 32 bytes> (e.g. v1:$(openssl rand -base64 32))`,
      );
    const version = Number(m[1]);
    if (out.some((s) => s.version === version)) throw new Error(`version v${version} is given twice`);
    out.push({ version, key });
  }
  return out;
}

const modelKeySecrets = z
  .string()
  .optional()
  .transform((v, ctx): ModelKeySecret[] => {
    try {
      return parseModelKeySecrets(v ?? '');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** Variables whose values an error message must not repeat. */
const SECRET_VARIABLES = new Set(['MODEL_KEYS_SECRETS', 'AUTH_SECRET']);

/** The one place that reads the environment. Everything else receives a Config. */
const EnvFields = z.object({
  MYSQL_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || /^mysql:\/\//.test(v), 'must look like mysql://user:pass@host:3306/db'),
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine(
      (v) => v === undefined || /^rediss?:\/\/[^\s]+$/.test(v),
      'must look like redis://host:6379 (or rediss://, /db)',
    ),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)')
    .default('evalhouse'),
  QUEUE_CHUNK_ITEMS: z.coerce.number().int().min(1).max(100_000).default(50),
  QUEUE_LOCK_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  QUEUE_RECONCILE_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  DUCKDB_PATH: z.string().min(1).default('data/evalhouse.duckdb'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MYSQL_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  DUCKDB_READERS: z.coerce.number().int().min(1).max(64).default(4),
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(1024).optional(),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(DUCKDB_SIZE, 'a size such as 2GB, 1536MB or 4GiB (KB, MB, GB, TB; KiB, MiB, GiB, TiB)')
    .default(DEFAULT_DUCKDB_MEMORY_LIMIT),
  DUCKDB_TEMP_DIR: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EVALHOUSE_URL: z.string().url().optional(),
  /** The API key the CLI sends a server it talks to (Authorization: Bearer). */
  EVALHOUSE_API_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  ROW_CAP: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  EXPORT_PDF_MAX_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  MIRROR_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1000),
  DEMO_DATA: z.enum(['auto', 'off']).default('auto'),
  MIRROR_RECONCILE_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  ALLOWED_HOSTS: commaList(isHostName, 'host names (e.g. evals.example.com,.lab.example)'),
  CORS_ORIGINS: commaList(isOrigin, 'origins (e.g. https://dash.example.com,http://localhost:5173)'),
  RUN_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(32),
  RUN_MAX_SAMPLES: z.coerce.number().int().min(1).max(100_000).default(64),
  RUN_MAX_ACTIVE: z.coerce.number().int().min(1).max(1000).default(4),
  RUN_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  RUN_ALLOW_LOOPBACK_URLS: z.enum(['true', 'false']).optional(),
  RUN_KEY_ENVS: z
    .string()
    .default('OPENAI_API_KEY,ANTHROPIC_API_KEY,GEMINI_API_KEY,GOOGLE_API_KEY')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((a) => a.every((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)), 'comma-separated variable names'),
  IMPORT_MAX_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxBytes),
  IMPORT_MAX_RECORD_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxRecordBytes),
  IMPORT_MAX_FIELD_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxFieldBytes),
  IMPORT_MAX_ZIP_ENTRIES: bound(DEFAULT_IMPORT_LIMITS.maxZipEntries),
  IMPORT_MAX_ZIP_ENTRY_BYTES: bound(DEFAULT_IMPORT_LIMITS.maxZipEntryBytes),
  IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  IMPORT_MAX_ERRORS: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  IMPORT_KEEP_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(256 * 1024 ** 2),
  IMPORT_BATCH_ROWS: z.coerce.number().int().min(100).max(1_000_000).default(5000),
  IMPORT_BATCH_BYTES: z.coerce
    .number()
    .int()
    .min(1024 ** 2)
    .max(2 ** 40)
    .default(64 * 1024 ** 2),
  IMPORT_BULK: z.enum(['on', 'off']).default('on'),
  MODEL_KEYS_SECRETS: modelKeySecrets,
  AUTH: z.enum(['auto', 'on', 'off']).default('auto'),
  AUTH_SECRET: optionalText.refine(
    (v) => v === undefined || v.length >= 32,
    'at least 32 characters (e.g. `openssl rand -hex 32`)',
  ),
  PUBLIC_URL: optionalText.refine(
    (v) => v === undefined || isOrigin(v),
    'an origin such as https://evals.example.com',
  ),
  AUTH_PASSWORD: z.enum(['on', 'off']).default('on'),
  GOOGLE_CLIENT_ID: optionalText,
  GOOGLE_CLIENT_SECRET: optionalText,
  GOOGLE_ISSUER: z.string().url().default('https://accounts.google.com'),
  GITHUB_CLIENT_ID: optionalText,
  GITHUB_CLIENT_SECRET: optionalText,
  GITHUB_URL: z.string().url().default('https://github.com'),
  GITHUB_API_URL: z.string().url().default('https://api.github.com'),
  AUTH_ACCESS_TTL_S: z.coerce.number().int().min(10).max(86_400).default(3600),
  AUTH_REFRESH_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(7 * 86_400),
  RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).max(1_000_000).default(60),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  LOGIN_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(900),
  RETENTION_CHECK_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  IMPORT_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 40)
    .default(2 * 1024 ** 3),
});

const EnvSchema = EnvFields.superRefine((e, ctx) => {
  // queue mode shares runs and results between processes: the embedded DuckDB file is one process's
  if ((e.GOOGLE_CLIENT_ID === undefined) !== (e.GOOGLE_CLIENT_SECRET === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['GOOGLE_CLIENT_ID'],
      message: 'Google sign-in needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET together',
    });
  }
  if ((e.GITHUB_CLIENT_ID === undefined) !== (e.GITHUB_CLIENT_SECRET === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['GITHUB_CLIENT_ID'],
      message: 'GitHub sign-in needs GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET together',
    });
  }
  if (e.REDIS_URL && !e.MYSQL_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message:
        'queue mode (REDIS_URL) needs MYSQL_URL too: workers and API replicas share runs and results through MySQL, and the embedded DuckDB file can be opened by one process only',
    });
  }
});

export const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export type Config = {
  mysqlUrl: string | undefined;
  /** Queue mode (runs spread over `evalhouse worker` processes through BullMQ): the REDIS_URL and QUEUE_* variables. */
  queue: {
    redisUrl: string | undefined;
    /** Namespaces every Redis key (BullMQ's queue prefix, the shared rate limits): one per install. */
    prefix: string;
    /** Items per chunk: one BullMQ job, the unit a worker takes and another takes over after a crash. */
    chunkItems: number;
    /** A worker's lock on its chunk; once it lapses (the worker died) BullMQ's stalled check hands the chunk on. */
    lockMs: number;
    /** How often a worker or API process re-enqueues what MySQL says is unfinished (0: only at start). */
    reconcileMs: number;
    /** Where `evalhouse worker` serves /metrics and /health (0: any free port, printed). */
    metricsPort: number;
    /** Chunks one worker process runs at once. */
    workerConcurrency: number;
  };
  duckdbPath: string;
  host: string;
  port: number;
  mysqlPoolSize: number;
  /** DuckDB connections that answer analyses at once (each uses DuckDB's threads); more wait in line. */
  duckdbReaders: number;
  /**
   * DuckDB's worker threads (default: DuckDB's own, one per core). 1 trades a lone large query's speed
   * (≈ 1.8× slower) for more analyses per second under concurrent load (perf/README.md).
   */
  duckdbThreads: number | undefined;
  /**
   * DuckDB's memory_limit (DUCKDB_MEMORY_LIMIT): the buffer pool of the file's one instance, imports and
   * analyses together; beyond it DuckDB spills to `duckdbTempDir`.
   */
  duckdbMemoryLimit: string;
  /** Where DuckDB spills (DUCKDB_TEMP_DIR); unset: DuckDB's own, the folder `<DUCKDB_PATH>.tmp` beside the file. */
  duckdbTempDir: string | undefined;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Where CLI writing commands find a running server (embedded mode). */
  evalhouseUrl: string;
  /** EVALHOUSE_API_KEY: what the CLI's requests to a server carry as `Authorization: Bearer` (never logged). */
  apiKey: string | undefined;
  queryTimeoutMs: number;
  rowCap: number;
  /** Table rows a PDF export may hold (400 beyond: export xlsx, csv or parquet). */
  exportPdfMaxRows: number;
  mirrorIntervalMs: number;
  demoData: 'auto' | 'off';
  /** How often the mirror compares per-run counts with MySQL and repairs what a long transaction hid (0: every pass). */
  mirrorReconcileMs: number;
  /** Host names served beyond the loopback ones and HOST (api/security.ts: against DNS rebinding). */
  allowedHosts: string[];
  /** Origins of other sites whose pages may call the API (CORS) and write to it. */
  corsOrigins: string[];
  /** What POST /runs may ask of the server (it must not become an open relay). */
  runs: {
    maxConcurrency: number;
    maxSamples: number;
    /** Runs in flight at once in one server: without it, parallel POSTs would multiply the concurrency cap. */
    maxActive: number;
    /** Base URLs in 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7. */
    allowPrivateUrls: boolean;
    /** Base URLs on 127/8, ::1 (a local vLLM/Ollama). Default: only when the server itself listens on loopback. */
    allowLoopbackUrls: boolean;
    /** The variables an API caller may name as api_key_env (models.yaml's own are allowed too). */
    keyEnvs: string[];
  };
  /** Imports of result files (POST /imports and `evalhouse import`): the IMPORT_* variables. */
  imports: {
    /** What one import may cost (decompressed bytes, record, field and zip entry sizes); 413 beyond. */
    limits: ImportLimits;
    /** Imports the server runs at once; more wait briefly, then get 503 with Retry-After. */
    concurrency: number;
    /** Validation of an import stops after this many invalid records. */
    maxErrors: number;
    /** Parsed records of one import kept in memory between its passes, in bytes (beyond: the file is read again). */
    keepBytes: number;
    /** Records per store write when the server imports (small: other requests wait at most one batch). */
    batchRows: number;
    /** A store write of an import also ends once its records hold about this many bytes (memory by bytes, not records). */
    batchBytes: number;
    /** The largest body POST /imports accepts, as sent (compressed or not); 413 beyond. */
    maxUploadBytes: number;
    /** Canonical CSV/JSONL into the embedded store read by DuckDB itself, in one transaction (ingest/import-bulk.ts). */
    bulk: boolean;
  };
  /** Sign-in, sessions, roles and rate limits (the AUTH_* variables; accounts/ and api/auth/). */
  auth: AuthConfig;
  /** How often the server deletes results past their workspace's retention (0: never). */
  retentionCheckMs: number;
  /**
   * The secrets the model registry's API keys are encrypted with (MODEL_KEYS_SECRETS), current first.
   * Empty: embedded mode generates one in a file beside the DuckDB file; with MYSQL_URL keys are refused.
   */
  modelKeys: { secrets: ModelKeySecret[] };
  /**
   * The environment itself, for the variables models.yaml names as API key sources (never
   * logged, never written). Only this module reads process.env; the runner reads keys from here.
   */
  env: Record<string, string | undefined>;
};

export interface AuthConfig {
  /**
   * Whether requests must carry credentials. AUTH=auto is off only for the embedded store on a loopback
   * HOST (the local user is admin of `default`), on with MYSQL_URL or beyond loopback.
   */
  enabled: boolean;
  /** AUTH=off given explicitly (the only way to listen beyond loopback without sign-in). */
  explicitOff: boolean;
  /** Keys the API-key hashes and signs tokens; unset: one is generated once and kept in the store. */
  secret: string | undefined;
  /** Where browsers reach the server (OAuth redirect URIs); unset: taken from the request. */
  publicUrl: string | undefined;
  password: boolean;
  google: { clientId: string; clientSecret: string; issuer: string } | null;
  github: { clientId: string; clientSecret: string; url: string; apiUrl: string } | null;
  accessTtlS: number;
  refreshTtlS: number;
  /** Requests per minute per API key or user (shared through Redis when REDIS_URL is set). */
  rateLimitPerMin: number;
  /** Failed sign-ins allowed per account and per address within `loginWindowS`. */
  loginMaxAttempts: number;
  loginWindowS: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) =>
        `  ${i.path.join('.')}: ${i.message}` +
        (SECRET_VARIABLES.has(String(i.path[0])) ? '' : ` (got ${JSON.stringify(env[String(i.path[0])])})`),
    );
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    mysqlUrl: e.MYSQL_URL,
    queue: {
      redisUrl: e.REDIS_URL,
      prefix: e.QUEUE_PREFIX,
      chunkItems: e.QUEUE_CHUNK_ITEMS,
      lockMs: e.QUEUE_LOCK_MS,
      reconcileMs: e.QUEUE_RECONCILE_MS,
      metricsPort: e.WORKER_METRICS_PORT,
      workerConcurrency: e.WORKER_CONCURRENCY,
    },
    duckdbPath: e.DUCKDB_PATH,
    host: e.HOST,
    port: e.PORT,
    mysqlPoolSize: e.MYSQL_POOL_SIZE,
    duckdbReaders: e.DUCKDB_READERS,
    duckdbThreads: e.DUCKDB_THREADS,
    duckdbMemoryLimit: e.DUCKDB_MEMORY_LIMIT.replace(/\s/g, ''),
    duckdbTempDir: e.DUCKDB_TEMP_DIR,
    logLevel: e.LOG_LEVEL,
    evalhouseUrl: e.EVALHOUSE_URL ?? `http://${e.HOST}:${e.PORT}`,
    apiKey: e.EVALHOUSE_API_KEY,
    queryTimeoutMs: e.QUERY_TIMEOUT_MS,
    rowCap: e.ROW_CAP,
    exportPdfMaxRows: e.EXPORT_PDF_MAX_ROWS,
    mirrorIntervalMs: e.MIRROR_INTERVAL_MS,
    demoData: e.DEMO_DATA,
    mirrorReconcileMs: e.MIRROR_RECONCILE_MS,
    allowedHosts: e.ALLOWED_HOSTS,
    corsOrigins: e.CORS_ORIGINS,
    runs: {
      maxConcurrency: e.RUN_MAX_CONCURRENCY,
      maxSamples: e.RUN_MAX_SAMPLES,
      maxActive: e.RUN_MAX_ACTIVE,
      allowPrivateUrls: e.RUN_ALLOW_PRIVATE_URLS === 'true',
      // A server reachable only from this machine calls only what its users could call themselves; one
      // listening on the network must not let remote callers reach services bound to its loopback.
      allowLoopbackUrls:
        e.RUN_ALLOW_LOOPBACK_URLS === undefined
          ? LOOPBACK_HOSTS.has(e.HOST)
          : e.RUN_ALLOW_LOOPBACK_URLS === 'true',
      keyEnvs: e.RUN_KEY_ENVS,
    },
    imports: {
      limits: {
        maxBytes: e.IMPORT_MAX_BYTES,
        maxRecordBytes: e.IMPORT_MAX_RECORD_BYTES,
        maxFieldBytes: e.IMPORT_MAX_FIELD_BYTES,
        maxZipEntries: e.IMPORT_MAX_ZIP_ENTRIES,
        maxZipEntryBytes: e.IMPORT_MAX_ZIP_ENTRY_BYTES,
      },
      concurrency: e.IMPORT_CONCURRENCY,
      maxErrors: e.IMPORT_MAX_ERRORS,
      keepBytes: e.IMPORT_KEEP_BYTES,
      batchRows: e.IMPORT_BATCH_ROWS,
      batchBytes: e.IMPORT_BATCH_BYTES,
      maxUploadBytes: e.IMPORT_MAX_UPLOAD_BYTES,
      bulk: e.IMPORT_BULK === 'on',
    },
    auth: {
      enabled:
        e.AUTH === 'on' || (e.AUTH === 'auto' && (e.MYSQL_URL !== undefined || !LOOPBACK_HOSTS.has(e.HOST))),
      explicitOff: e.AUTH === 'off',
      secret: e.AUTH_SECRET,
      publicUrl: e.PUBLIC_URL,
      password: e.AUTH_PASSWORD === 'on',
      google:
        e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET
          ? { clientId: e.GOOGLE_CLIENT_ID, clientSecret: e.GOOGLE_CLIENT_SECRET, issuer: e.GOOGLE_ISSUER }
          : null,
      github:
        e.GITHUB_CLIENT_ID && e.GITHUB_CLIENT_SECRET
          ? {
              clientId: e.GITHUB_CLIENT_ID,
              clientSecret: e.GITHUB_CLIENT_SECRET,
              url: e.GITHUB_URL.replace(/\/$/, ''),
              apiUrl: e.GITHUB_API_URL.replace(/\/$/, ''),
            }
          : null,
      accessTtlS: e.AUTH_ACCESS_TTL_S,
      refreshTtlS: e.AUTH_REFRESH_TTL_S,
      rateLimitPerMin: e.RATE_LIMIT_PER_MIN,
      loginMaxAttempts: e.LOGIN_MAX_ATTEMPTS,
      loginWindowS: e.LOGIN_WINDOW_S,
    },
    retentionCheckMs: e.RETENTION_CHECK_MS,
    modelKeys: { secrets: e.MODEL_KEYS_SECRETS },
    env,
  };
}
