import type { RateLimitSnapshot } from '../providers/types.ts';

/**
 * How long to hold every new request, from what a provider said is left of its limits: when fewer requests
 * (or tokens) remain than what may still be sent before the next answer tells us more, wait for that limit's
 * reset instead of running into its 429s.
 * `reserve.requests` is the requests that may be in flight (the run's concurrency); `reserve.tokens` what they
 * may spend. A limit the provider did not announce, or without a reset, never holds anything.
 */
export function paceWaitMs(s: RateLimitSnapshot, reserve: { requests: number; tokens: number }): number {
  let wait = 0;
  if (s.requestsRemaining !== null && s.requestsResetMs !== null && s.requestsRemaining < reserve.requests)
    wait = Math.max(wait, s.requestsResetMs);
  if (s.tokensRemaining !== null && s.tokensResetMs !== null && s.tokensRemaining < reserve.tokens)
    wait = Math.max(wait, s.tokensResetMs);
  return Math.ceil(wait);
}
