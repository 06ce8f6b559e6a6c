/** The catalogue of coded errors. Every 4xx the API sends comes from here. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const errors = {
  badRequest: (message: string, details?: unknown) => new AppError('BAD_REQUEST', 400, message, details),
  unknownField: (field: string, valid: string[], where = 'field') =>
    new AppError(
      'UNKNOWN_FIELD',
      400,
      `unknown ${where} ${JSON.stringify(field)}; valid fields: ${valid.join(', ') || '(none)'}`,
      { field, valid },
    ),
  notFound: (what: string, name: string, known?: string[]) =>
    new AppError(
      'NOT_FOUND',
      404,
      `unknown ${what} ${JSON.stringify(name)}${known ? `; known: ${known.slice(0, 50).join(', ')}${known.length > 50 ? ', …' : ''}` : ''}`,
      known ? { [what]: name, known } : { [what]: name },
    ),
  tooLarge: (message: string, details?: unknown) => new AppError('RESULT_TOO_LARGE', 400, message, details),
  timeout: (engine: string, ms: number) =>
    new AppError('QUERY_TIMEOUT', 503, `the ${engine} query exceeded its time limit of ${ms} ms`, {
      engine,
      ms,
    }),
  unavailable: (message: string) => new AppError('UNAVAILABLE', 503, message),
  conflict: (message: string, details?: unknown) => new AppError('CONFLICT', 409, message, details),
  invalidImport: (message: string, details: unknown) => new AppError('INVALID_IMPORT', 400, message, details),
  unknownItem: (benchmark: string, item: string) =>
    new AppError(
      'NOT_FOUND',
      404,
      `unknown item ${JSON.stringify(item)} in benchmark ${JSON.stringify(benchmark)}`,
      { benchmark, item },
    ),
  notGroupable: (field: string, reason: string, valid: string[], where = 'field') =>
    new AppError(
      'FIELD_NOT_GROUPABLE',
      400,
      `${where} ${JSON.stringify(field)} is not groupable: ${reason}; groupable fields: ${valid.join(', ') || '(none)'}`,
      { field, reason, valid },
    ),
  hostNotAllowed: (host: string | null) =>
    new AppError(
      'HOST_NOT_ALLOWED',
      403,
      `${host === null ? 'no Host header' : `Host ${JSON.stringify(host)} is not served`}: only loopback names, IP addresses, HOST and ALLOWED_HOSTS are (a guard against DNS rebinding); add the name to ALLOWED_HOSTS to serve it`,
      { host, setting: 'ALLOWED_HOSTS' },
    ),
  crossOrigin: (method: string, origin: string | null) =>
    new AppError(
      'CROSS_ORIGIN_REFUSED',
      403,
      `${method} from ${origin === null ? 'another site' : `origin ${JSON.stringify(origin)}`} refused: only the server's own pages and the origins in CORS_ORIGINS may change data`,
      { origin, setting: 'CORS_ORIGINS' },
    ),
  simpleContentType: (method: string, type: string) =>
    new AppError(
      'SIMPLE_CONTENT_TYPE',
      415,
      `${method} with content-type ${type} and no Origin header refused: any web page can send that type. ` +
        "Send the data's own type, e.g. curl --data-binary @results.jsonl -H 'content-type: application/x-ndjson' " +
        "(curl -d sends application/x-www-form-urlencoded), or -H 'content-type: application/json' for JSON",
      { content_type: type },
    ),
  duckdbLocked: (path: string, cause: unknown) =>
    Object.assign(
      new AppError(
        'DUCKDB_LOCKED',
        409,
        `the DuckDB file ${path} is in use by another process (only one process can open it). ` +
          'If an evalhouse server is running, send writes through its API (EVALHOUSE_URL), or stop it first.',
        { path },
      ),
      { cause },
    ),
  /** An import went over one of its configured bounds (ingest/importers/limits.ts); `setting` names the variable. */
  importLimit: (setting: string, limit: number, file: string, what: string, value: number) =>
    new AppError('IMPORT_LIMIT', 413, `${file}: ${what} exceeds ${setting} (${limit})`, {
      setting,
      limit,
      value,
      file,
    }),
  /** A file that cannot be read as what it claims to be (broken gzip, zip, JSON document, CSV). */
  corruptFile: (file: string, problem: string) =>
    new AppError('CORRUPT_FILE', 400, `${file}: ${problem}`, { file, problem }),
  unsupportedMediaType: (got: string, accepted: readonly string[]) =>
    new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      415,
      `unsupported ${got}; send the file with one of: ${accepted.join(', ')}`,
      { got, accepted },
    ),
  importsBusy: (limit: number, retryAfterS: number) =>
    new AppError(
      'IMPORTS_BUSY',
      503,
      `${limit} import(s) are running, the most this server runs at once (IMPORT_CONCURRENCY); retry in ${retryAfterS} s`,
      { limit, retry_after_s: retryAfterS },
    ),
  uploadTooLarge: (limitBytes: number) =>
    new AppError('UPLOAD_TOO_LARGE', 413, `the upload exceeds ${limitBytes} bytes, the largest accepted`, {
      limit_bytes: limitBytes,
    }),
};
