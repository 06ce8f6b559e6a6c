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
