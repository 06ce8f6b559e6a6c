import type { RateLimitSnapshot } from './types.ts';

/**
 * The one reader of the providers' rate-limit headers:
 * - OpenAI (and vLLM / OpenRouter style servers): `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the
 *   reset a Go-style duration such as `1s`, `6m0s`, `250ms`, `1h2m3.5s`;
 * - Anthropic: `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`, the reset an RFC 3339 instant.
 * Returns null when the response carried none of them.
 */
export function parseRateLimitHeaders(
  headers: Headers | Record<string, string> | null | undefined,
  now = Date.now(),
): RateLimitSnapshot | null {
  if (!headers) return null;
  const get = (name: string): string | null => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
    const rec = headers as Record<string, string>;
    const v = rec[name] ?? Object.entries(rec).find(([k]) => k.toLowerCase() === name)?.[1];
    return typeof v === 'string' ? v : null;
  };
  const s: RateLimitSnapshot = {
    requestsLimit: count(get('x-ratelimit-limit-requests') ?? get('anthropic-ratelimit-requests-limit')),
    requestsRemaining: count(
      get('x-ratelimit-remaining-requests') ?? get('anthropic-ratelimit-requests-remaining'),
    ),
    requestsResetMs:
      duration(get('x-ratelimit-reset-requests')) ?? instant(get('anthropic-ratelimit-requests-reset'), now),
    tokensLimit: count(get('x-ratelimit-limit-tokens') ?? get('anthropic-ratelimit-tokens-limit')),
    tokensRemaining: count(
      get('x-ratelimit-remaining-tokens') ?? get('anthropic-ratelimit-tokens-remaining'),
    ),
    tokensResetMs:
      duration(get('x-ratelimit-reset-tokens')) ?? instant(get('anthropic-ratelimit-tokens-reset'), now),
  };
  return Object.values(s).some((v) => v !== null) ? s : null;
}

function count(v: string | null): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/** `6m0s` → 360000; `250ms` → 250; `1.5s` → 1500; a bare number is seconds. Null when unreadable. */
export function duration(v: string | null): number | null {
  if (v === null) return null;
  const t = v.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    end = re.lastIndex;
  }
  return end === t.length && end > 0 ? total : null;
}

/** An RFC 3339 instant → ms from `now` (0 when past). */
function instant(v: string | null, now: number): number | null {
  if (v === null || v.trim() === '') return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** What every provider does with a response's (or an error's) headers: tell the caller, when they say anything. */
export function reportRateLimits(
  headers: Headers | Record<string, string> | null | undefined,
  onRateLimit: ((limits: RateLimitSnapshot) => void) | undefined,
): void {
  if (!onRateLimit) return;
  const s = parseRateLimitHeaders(headers);
  if (s) onRateLimit(s);
}
