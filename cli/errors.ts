import { readServerFile } from '../api/server-file.ts';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';

/** An ordinary failure a command reports in one line, without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The server answered a CLI request with an error: its status, code and message. */
export class ServerRefusedError extends CliError {
  constructor(server: string, what: string, status: number, body: { error?: string; message?: string }) {
    super(
      `the server at ${server} refused ${what} (${status}${body.error ? ` ${body.error}` : ''}): ${body.message ?? JSON.stringify(body)}`,
    );
  }
}

/** Errors of the machine, not of evalhouse: a path, a permission, a network, a full disk. */
const SYSTEM_CODES = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EMFILE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** MySQL refusing the connection or the user (bad MYSQL_URL), as opposed to a query's error (a bug). */
const MYSQL_CONNECT_CODES = new Set([
  'ER_ACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_HOST_IS_BLOCKED',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'PROTOCOL_CONNECTION_LOST',
]);

type Coded = Error & { code?: string; fatal?: boolean; sqlState?: string; address?: string; port?: number };

/** host:port of MYSQL_URL, never its credentials. */
function mysqlWhere(config: Pick<Config, 'mysqlUrl'> | undefined): string {
  try {
    return config?.mysqlUrl ? ` at ${new URL(config.mysqlUrl).host}` : '';
  } catch {
    return '';
  }
}

/**
 * The one line an ordinary mistake deserves (a file not found, a locked DuckDB file, a server or
 * database out of reach, an AppError, a server's refusal), or null when the error is a bug, which
 * the caller prints with its stack.
 */
export function describeError(err: unknown, config?: Pick<Config, 'mysqlUrl'>): string | null {
  if (err instanceof CliError) return err.message;
  if (err instanceof AppError) {
    if (err.code === 'DUCKDB_LOCKED') {
      const path = (err.details as { path?: string } | undefined)?.path;
      const holder = path ? readServerFile(path) : null;
      if (holder)
        return `${err.message} (the evalhouse server at ${holder.url}, pid ${holder.pid}, advertises it)`;
    }
    return err.message;
  }
  if (!(err instanceof Error)) return null;
  // fetch: TypeError("fetch failed") whose cause is the system error
  if (err instanceof TypeError && err.message === 'fetch failed' && err.cause instanceof Error) {
    const cause = err.cause as Coded;
    const where = cause.address ? `${cause.address}${cause.port ? `:${cause.port}` : ''}` : 'the server';
    return `cannot reach ${where}: ${cause.message}`;
  }
  if (err.name === 'TimeoutError') return `no answer in time: ${err.message}`;
  const e = err as Coded;
  if (e.code && MYSQL_CONNECT_CODES.has(e.code)) return `MySQL${mysqlWhere(config)}: ${e.message}`;
  if (e.code && SYSTEM_CODES.has(e.code)) {
    // mysql2 marks errors that end its connection as fatal
    return e.fatal === true ? `MySQL${mysqlWhere(config)}: ${e.message}` : e.message;
  }
  return null;
}

/** The stack of an error and of its causes, for --verbose and for bugs. */
export function stackOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\ncaused by: ');
}
