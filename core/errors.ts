/**
 * The one table of error codes: each code's HTTP status. An error names its code; its status is looked up
 * here, never written beside it. The README's "Errors" table lists these (core/errors.test.ts holds it equal).
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  UNKNOWN_FIELD: 400,
  NOT_FOUND: 404,
  RESULT_TOO_LARGE: 400,
  QUERY_TIMEOUT: 503,
  UNAVAILABLE: 503,
  CONFLICT: 409,
  INVALID_IMPORT: 400,
  FIELD_NOT_GROUPABLE: 400,
  HOST_NOT_ALLOWED: 403,
  CROSS_ORIGIN_REFUSED: 403,
  SIMPLE_CONTENT_TYPE: 415,
  DUCKDB_LOCKED: 409,
  IMPORT_LIMIT: 413,
  CORRUPT_FILE: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IMPORTS_BUSY: 503,
  UPLOAD_TOO_LARGE: 413,
  /** A request that does not match its route's schema (api/errors.ts turns zod's issues into it). */
  VALIDATION_FAILED: 400,
  /** A file whose import format is not known or cannot be told from its name and first bytes. */
  UNKNOWN_FORMAT: 400,
  /** No credentials, or credentials that are expired, revoked or forged. */
  UNAUTHENTICATED: 401,
  /** Credentials that are valid but whose role does not allow the action. */
  FORBIDDEN: 403,
  /** Too many requests (rate limit or failed sign-ins); Retry-After says when to try again. */
  RATE_LIMITED: 429,
  /** A bug: the answer says only that it was logged. */
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The catalogue of coded errors. Every 4xx the API sends comes from here. */
export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = ERROR_CODES[code];
  }
}

export const errors = {
  badRequest: (message: string, details?: unknown) => new AppError('BAD_REQUEST', message, details),
  unknownField: (field: string, valid: string[], where = 'field') =>
    new AppError(
      'UNKNOWN_FIELD',
      `unknown ${where} ${JSON.stringify(field)}; valid fields: ${valid.join(', ') || '(none)'}`,
      { field, valid },
    ),
  notFound: (what: string, name: string, known?: string[]) =>
    new AppError(
      'NOT_FOUND',
      `unknown ${what} ${JSON.stringify(name)}${known ? `; known: ${known.slice(0, 50).join(', ')}${known.length > 50 ? ', …' : ''}` : ''}`,
      known ? { [what]: name, known } : { [what]: name },
    ),
  tooLarge: (message: string, details?: unknown) => new AppError('RESULT_TOO_LARGE', message, details),
  timeout: (engine: string, ms: number) =>
    new AppError('QUERY_TIMEOUT', `the ${engine} query exceeded its time limit of ${ms} ms`, {
      engine,
      ms,
    }),
  unavailable: (message: string) => new AppError('UNAVAILABLE', message),
  conflict: (message: string, details?: unknown) => new AppError('CONFLICT', message, details),
  invalidImport: (message: string, details: unknown) => new AppError('INVALID_IMPORT', message, details),
  unknownItem: (benchmark: string, item: string) =>
    new AppError(
      'NOT_FOUND',
      `unknown item ${JSON.stringify(item)} in benchmark ${JSON.stringify(benchmark)}`,
      { benchmark, item },
    ),
  notGroupable: (field: string, reason: string, valid: string[], where = 'field') =>
    new AppError(
      'FIELD_NOT_GROUPABLE',
      `${where} ${JSON.stringify(field)} is not groupable: ${reason}; groupable fields: ${valid.join(', ') || '(none)'}`,
      { field, reason, valid },
    ),
  hostNotAllowed: (host: string | null) =>
    new AppError(
      'HOST_NOT_ALLOWED',
      `${host === null ? 'no Host header' : `Host ${JSON.stringify(host)} is not served`}: only loopback names, IP addresses, HOST and ALLOWED_HOSTS are (a guard against DNS rebinding); add the name to ALLOWED_HOSTS to serve it`,
      { host, setting: 'ALLOWED_HOSTS' },
    ),
  crossOrigin: (method: string, origin: string | null) =>
    new AppError(
      'CROSS_ORIGIN_REFUSED',
      `${method} from ${origin === null ? 'another site' : `origin ${JSON.stringify(origin)}`} refused: only the server's own pages and the origins in CORS_ORIGINS may change data`,
      { origin, setting: 'CORS_ORIGINS' },
    ),
  simpleContentType: (method: string, type: string) =>
    new AppError(
      'SIMPLE_CONTENT_TYPE',
      `${method} with content-type ${type} and no Origin header refused: any web page can send that type. ` +
        "Send the data's own type, e.g. curl --data-binary @results.jsonl -H 'content-type: application/x-ndjson' " +
        "(curl -d sends application/x-www-form-urlencoded), or -H 'content-type: application/json' for JSON",
      { content_type: type },
    ),
  duckdbLocked: (path: string, cause: unknown) =>
    Object.assign(
      new AppError(
        'DUCKDB_LOCKED',
        `the DuckDB file ${path} is in use by another process (only one process can open it). ` +
          'If an evalhouse server is running, send writes through its API (EVALHOUSE_URL), or stop it first.',
        { path },
      ),
      { cause },
    ),
  /** An import went over one of its configured bounds (ingest/importers/limits.ts); `setting` names the variable. */
  importLimit: (setting: string, limit: number, file: string, what: string, value: number) =>
    new AppError('IMPORT_LIMIT', `${file}: ${what} exceeds ${setting} (${limit})`, {
      setting,
      limit,
      value,
      file,
    }),
  /** A file that cannot be read as what it claims to be (broken gzip, zip, JSON document, CSV). */
  corruptFile: (file: string, problem: string) =>
    new AppError('CORRUPT_FILE', `${file}: ${problem}`, { file, problem }),
  unsupportedMediaType: (got: string, accepted: readonly string[]) =>
    new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `unsupported ${got}; send the file with one of: ${accepted.join(', ')}`,
      { got, accepted },
    ),
  importsBusy: (limit: number, retryAfterS: number) =>
    new AppError(
      'IMPORTS_BUSY',
      `${limit} import(s) are running, the most this server runs at once (IMPORT_CONCURRENCY); retry in ${retryAfterS} s`,
      { limit, retry_after_s: retryAfterS },
    ),
  uploadTooLarge: (limitBytes: number) =>
    new AppError('UPLOAD_TOO_LARGE', `the upload exceeds ${limitBytes} bytes, the largest accepted`, {
      limit_bytes: limitBytes,
    }),
  /** The request does not match its route's schema: every issue, with where it is. */
  validationFailed: (where: string, issues: { path: string; message: string }[]) =>
    new AppError(
      'VALIDATION_FAILED',
      `invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    ),
  /** A file none of the importers recognises; `hint` says how each format is told. */
  undetectedFormat: (file: string, formats: readonly string[], hint: string) =>
    new AppError(
      'UNKNOWN_FORMAT',
      `cannot tell the format of ${file}; supported formats: ${formats.join(', ')} ${hint}`,
      { file, formats },
    ),
  unknownFormat: (format: string, formats: readonly string[]) =>
    new AppError(
      'UNKNOWN_FORMAT',
      `unknown import format "${format}"; valid formats: ${formats.join(', ')}`,
      {
        format,
        formats,
      },
    ),
  noRoute: (method: string, url: string) => new AppError('NOT_FOUND', `no route ${method} ${url}; see /docs`),
  unauthenticated: (message = 'sign in, or send an API key as Authorization: Bearer <key>') =>
    new AppError('UNAUTHENTICATED', message),
  forbidden: (message: string, details?: unknown) => new AppError('FORBIDDEN', message, details),
  rateLimited: (message: string, retryAfterS: number) =>
    new AppError('RATE_LIMITED', message, { retryAfterS }),
  internal: () => new AppError('INTERNAL', 'internal error (logged on the server)'),
};
