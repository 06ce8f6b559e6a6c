/**
 * One health check of a registered model (#22): list the endpoint's models, then a one-token completion.
 *
 * Choices made here:
 * - `latency_ms` is the completion's (the figure that matters to a run); the list is only asked to tell a
 *   wrong key or base URL from a slow model, and a model id missing from the list is an error by itself
 *   (a typo in `model` otherwise shows up only at the first run). A vendor without a list skips it.
 * - Everything that fails is a status `error` with a short message, never an exception: the key (and its
 *   URL-encoded form) and a URL's user:password or credential-looking query values are removed from it.
 * - `limits` are what the completion's rate-limit headers said (x-ratelimit-*, anthropic-ratelimit-*).
 */
import { redactUrl } from '../api/logging.ts';
import type { Provider, RateLimitSnapshot } from '../ingest/providers/types.ts';
import type { CallableModel, HealthCheck } from './types.ts';

export interface CheckDeps {
  /** Builds the provider of a callable model with its key (models/registry.ts providerOf). */
  providerOf: (c: CallableModel) => Promise<Provider>;
  /** The whole check's time limit (default 30 s). */
  timeoutMs?: number | undefined;
  now?: (() => Date) | undefined;
}

export const HEALTH_TIMEOUT_MS = 30_000;

export async function checkModel(c: CallableModel, deps: CheckDeps): Promise<HealthCheck> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const timeoutMs = deps.timeoutMs ?? HEALTH_TIMEOUT_MS;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  let limits: RateLimitSnapshot | null = null;
  const fail = (message: string, latency: number | null = null): HealthCheck => ({
    at,
    status: 'error',
    latency_ms: latency,
    error: clean(message, c.apiKey),
    limits,
  });
  try {
    let provider: Provider;
    try {
      provider = await deps.providerOf(c);
    } catch (err) {
      return fail(messageOf(err));
    }
    if (provider.listModels) {
      let ids: string[];
      try {
        ids = await provider.listModels(ctl.signal);
      } catch (err) {
        return fail(
          `listing models: ${ctl.signal.aborted ? String(ctl.signal.reason?.message) : messageOf(err)}`,
        );
      }
      if (!ids.includes(c.def.model)) {
        const some = ids.slice(0, 5).join(', ');
        return fail(
          `the endpoint does not list the model "${c.def.model}" (${ids.length} listed${some ? `: ${some}${ids.length > 5 ? ', …' : ''}` : ''})`,
        );
      }
    }
    const r = await provider.complete(
      { messages: [{ role: 'user', content: 'ping' }], params: { max_tokens: 1 } },
      {
        signal: ctl.signal,
        onRateLimit: (s) => {
          limits = s;
        },
      },
    );
    if (!r.ok) {
      const why = ctl.signal.aborted ? String(ctl.signal.reason?.message) : r.error.message;
      return fail(`completion: ${why}`, Math.round(r.latencyMs));
    }
    return { at, status: 'ok', latency_ms: Math.round(r.latencyMs), error: null, limits };
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MAX_ERROR = 500;

/** The message without the key, a URL's credentials or credential-looking query values; at most 500 chars. */
export function clean(message: string, apiKey: string | null): string {
  let m = message;
  if (apiKey && apiKey.length >= 4) {
    for (const form of new Set([apiKey, encodeURIComponent(apiKey)])) m = m.split(form).join('[redacted]');
  }
  m = m.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
  m = m.replace(/\bhttps?:\/\/[^\s"'<>)]+/gi, (url) => redactUrl(url));
  return m.length > MAX_ERROR ? `${m.slice(0, MAX_ERROR - 1)}…` : m;
}
