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
};
