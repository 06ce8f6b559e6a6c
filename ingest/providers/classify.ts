import { ProviderError } from './types.ts';

/** Why the runner aborted a request; set as the AbortSignal's reason. */
export class AbortReason extends Error {
  override readonly name = 'AbortReason';
  constructor(
    readonly code: 'deadline' | 'stall' | 'shutdown' | 'fatal',
    message: string,
  ) {
    super(message);
  }
}

/** Statuses worth another attempt. 529 is Anthropic's "overloaded". */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Spend limits look like rate limits (OpenAI: 429 insufficient_quota) or bad requests (Anthropic: credit balance). */
const SPEND_LIMIT =
  /insufficient_quota|credit balance|billing|spend(ing)? limit|quota exceeded|exceeded your current quota/i;

/** `retry-after-ms` (ms, fractional) wins over `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | null | undefined, now = Date.now()): number | null {
  if (!headers || typeof headers.get !== 'function') return null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return null;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Network codes that mean "nothing answers at this address" (a wrong base URL, a server not started), as
 * opposed to a connection that broke. The runner stops on them while nothing has been answered yet.
 */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * The system error behind an SDK's APIConnectionError: it wraps fetch's TypeError("fetch failed"), whose
 * `cause` is Node's error with the code (`connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo ENOTFOUND host`).
 */
export function systemCause(err: unknown): { code: string | null; message: string } | null {
  let deepest: Error | null = null;
  let e: unknown = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return { code, message: e.message };
    deepest = e;
  }
  return deepest ? { code: null, message: deepest.message } : null;
}

interface ApiErrorLike {
  status?: unknown;
  headers?: unknown;
  error?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
}

function errorText(e: ApiErrorLike): string {
  const parts: string[] = [];
  for (const v of [e.code, e.type, e.message]) if (typeof v === 'string') parts.push(v);
  const body = e.error as
    | { code?: unknown; type?: unknown; error?: { code?: unknown; type?: unknown } }
    | undefined;
  if (body && typeof body === 'object') {
    for (const v of [body.code, body.type, body.error?.code, body.error?.type])
      if (typeof v === 'string') parts.push(v);
  }
  return parts.join(' ');
}

/**
 * Turns whatever an SDK call threw into a classified ProviderError (keeping the original as `cause`).
 * `signal` tells a runner abort (deadline, stall, shutdown) from a network failure.
 */
export function classifyError(
  err: unknown,
  signal: AbortSignal,
  vendor: string,
  baseURL?: string,
): ProviderError {
  if (signal.aborted) {
    const reason = signal.reason instanceof AbortReason ? signal.reason : null;
    const code = reason?.code ?? 'aborted';
    // A deadline or stall is worth another attempt; a shutdown or a fatal error elsewhere is not,
    // but the runner never records those anyway.
    return new ProviderError(reason?.message ?? 'request aborted', {
      kind: code === 'deadline' || code === 'stall' ? 'retryable' : 'fatal',
      code,
      cause: err,
    });
  }
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as ApiErrorLike;
  const status = typeof e.status === 'number' ? e.status : null;
  const message = err instanceof Error ? err.message : String(err);
  if (status === null) {
    // Connection errors, timeouts, "terminated" bodies, and errors sent inside an SSE stream.
    const text = errorText(e);
    if (SPEND_LIMIT.test(text)) {
      return new ProviderError(`${vendor}: spend limit reached: ${message}`, {
        kind: 'fatal',
        stop: 'paused',
        code: 'insufficient_quota',
        cause: err,
      });
    }
    const name = err instanceof Error ? err.constructor.name : '';
    const sys = systemCause(err);
    if (sys?.code && UNREACHABLE.has(sys.code)) {
      return new ProviderError(
        `${vendor}: cannot reach ${baseURL ?? 'the provider'}: ${sys.message} (check --base-url / base_url)`,
        { kind: 'retryable', code: 'unreachable', cause: err },
      );
    }
    // fetch's own refusals: a port it never connects to (the "bad ports" list), a redirect (refused, see
    // registry.ts). Asking again cannot change either.
    if (sys && sys.code === null && /^(bad port|unexpected redirect)$/.test(sys.message)) {
      const why =
        sys.message === 'bad port'
          ? 'fetch refuses to connect to this port ("bad port")'
          : 'it answered with a redirect, which is never followed';
      return new ProviderError(`${vendor}: cannot use ${baseURL ?? 'the provider'}: ${why}`, {
        kind: 'fatal',
        stop: 'failed',
        code: 'unusable_url',
        cause: err,
      });
    }
    const code = /Timeout/.test(name) ? 'timeout' : /Connection/.test(name) ? 'connection' : 'stream_error';
    // "Connection error." alone does not say what happened: add the system's own words when there are some.
    const detail = sys && !message.includes(sys.message) ? ` (${sys.message})` : '';
    return new ProviderError(`${vendor}: ${message}${detail}`, { kind: 'retryable', code, cause: err });
  }
  const wait = retryAfterMs(e.headers as Headers | undefined);
  const text = errorText(e);
  if ((status === 429 || status === 400 || status === 402 || status === 403) && SPEND_LIMIT.test(text)) {
    return new ProviderError(`${vendor} ${status}: spend limit or quota reached: ${message}`, {
      kind: 'fatal',
      stop: 'paused',
      status,
      code: 'insufficient_quota',
      cause: err,
    });
  }
  if (retryableStatus(status)) {
    return new ProviderError(`${vendor} ${status}: ${message}`, {
      kind: 'retryable',
      status,
      code: `http_${status}`,
      retryAfterMs: wait,
      cause: err,
    });
  }
  const hint =
    status === 401
      ? ' (check the API key: the env var named by api_key_env)'
      : status === 403
        ? ' (the key lacks access to this model)'
        : status === 404
          ? ' (unknown model id or base URL?)'
          : '';
  return new ProviderError(`${vendor} ${status}: ${message}${hint}`, {
    kind: 'fatal',
    stop: 'failed',
    status,
    code: `http_${status}`,
    cause: err,
  });
}
