/**
 * The one way the UI talks to the API: same-origin fetch, JSON in and out. A non-2xx answer becomes an ApiError
 * carrying the API's own `{error, message}` (shown to the user as it is). `signal` lets a view drop an answer a
 * newer choice has made stale.
 */
import { csrfToken, WORKSPACE_HEADER, workspaceSlug } from './session.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** Requests in flight, for the loading bar and for tests that wait for a view to settle. */
let inFlight = 0;
function track(delta: number): void {
  inFlight += delta;
  document.documentElement.dataset.busy = String(inFlight > 0);
}

async function failure(res: Response): Promise<ApiError> {
  let body: { error?: string; message?: string; details?: unknown } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's page): the status says what happened
  }
  return new ApiError(
    res.status,
    body.error ?? `HTTP_${res.status}`,
    body.message ?? res.statusText,
    body.details,
  );
}

/** API paths are relative to the page (`analysis`, not `/analysis`), so the UI also works behind a path prefix. */
const rel = (path: string) => path.replace(/^\/+/, '');

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What every call sends besides its own headers: the workspace the page acts in, and on a write the CSRF
 * token the session cookie needs (the server ignores it for API keys and with auth off).
 */
function sessionHeaders(method: string): Record<string, string> {
  const out: Record<string, string> = {};
  const ws = workspaceSlug();
  if (ws) out[WORKSPACE_HEADER] = ws;
  const csrf = SAFE.has(method) ? null : csrfToken();
  if (csrf) out['x-csrf-token'] = csrf;
  return out;
}

/** A URL for what cannot send headers (EventSource, links): the workspace as `?workspace=`. */
export function withWorkspace(path: string): string {
  const ws = workspaceSlug();
  if (!ws) return rel(path);
  return `${rel(path)}${path.includes('?') ? '&' : '?'}workspace=${encodeURIComponent(ws)}`;
}

/** One refresh at a time for every call that found its access token expired. */
let refreshing: Promise<boolean> | null = null;

/**
 * Renews the session (POST /auth/refresh rotates the refresh cookie) when the page has one: the CSRF cookie
 * is set with the session's, so without it there is nothing to refresh (auth off, or signed out).
 */
function refreshSession(): Promise<boolean> {
  if (!csrfToken()) return Promise.resolve(false);
  refreshing ??= fetch('auth/refresh', { method: 'POST', headers: sessionHeaders('POST') })
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  track(1);
  try {
    let res: Response;
    try {
      const method = (init.method ?? 'GET').toUpperCase();
      const send = () =>
        fetch(rel(path), {
          ...init,
          headers: { accept: 'application/json', ...sessionHeaders(method), ...init.headers },
        });
      res = await send();
      // an access token lasts an hour: renew it once and ask again (not for the sign-in calls themselves)
      if (res.status === 401 && !rel(path).startsWith('auth/') && (await refreshSession()))
        res = await send();
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(
        0,
        'NETWORK',
        `the API did not answer (${(err as Error).message}); is the server running?`,
      );
    }
    if (!res.ok) throw await failure(res);
    return res;
  } finally {
    track(-1);
  }
}

/**
 * Answers kept for the page's life by request (reads of analyses and metadata: the API caches them too, by data
 * version; a view that must be fresh, like runs, does not ask for it). A failed answer is not kept.
 */
const memo = new Map<string, Promise<unknown>>();
const MEMO_MAX = 300;

function remember<T>(what: string, make: () => Promise<T>): Promise<T> {
  // answers differ by workspace: a switch must not show the other one's
  const key = `${workspaceSlug() ?? ''} ${what}`;
  const hit = memo.get(key);
  if (hit) return hit as Promise<T>;
  const p = make();
  memo.set(key, p);
  if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value as string);
  p.catch(() => memo.delete(key));
  return p;
}

/** Forgets kept answers (after an import, a run or a delete changed the data). */
export const forget = () => memo.clear();

interface Opts {
  signal?: AbortSignal;
  /** keep the answer for the page's life (see `memo`) */
  cache?: boolean;
}

export async function getJson<T>(
  path: string,
  query: Record<string, unknown> = {},
  opts: Opts = {},
): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const url = qs.size ? `${path}?${qs}` : path;
  const get = async () =>
    (await request(url, opts.cache ? {} : { signal: opts.signal })).json() as Promise<T>;
  return opts.cache ? remember(`GET ${url}`, get) : get();
}

export async function postJson<T>(path: string, body: unknown, opts: Opts = {}): Promise<T> {
  const json = JSON.stringify(body);
  const post = async () =>
    (
      await request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: json,
        ...(opts.cache ? {} : { signal: opts.signal }),
      })
    ).json() as Promise<T>;
  return opts.cache ? remember(`POST ${path} ${json}`, post) : post();
}

export async function sendJson<T>(
  method: 'PUT' | 'DELETE' | 'POST',
  path: string,
  body?: unknown,
): Promise<T | null> {
  const res = await request(path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return res.status === 204 ? null : ((await res.json()) as T);
}

/** Path segments of names (benchmarks, items) as the API expects them: percent-encoded. */
export const seg = (s: string | number) => encodeURIComponent(String(s));

/** Whether an error is the abort of a request a newer one replaced (not worth showing). */
export const aborted = (err: unknown) => (err as Error)?.name === 'AbortError';
