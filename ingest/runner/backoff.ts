export interface RetryPolicy {
  /** Attempts per item, the first included. */
  maxAttempts: number;
  /** Backoff ceiling for the first retry (ms); doubles each retry. */
  baseMs: number;
  /** Backoff never exceeds this (a server's retry-after may). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 500, maxMs: 30_000 };

/**
 * Delay before retry number `retry` (1 = first retry): exponential backoff with full jitter
 * (uniform in [0, min(max, base·2^(retry-1))]), but never less than what the server asked for.
 */
export function backoffMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | null,
  random = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const jitter = random() * ceiling;
  return retryAfterMs === null ? jitter : Math.max(retryAfterMs, jitter);
}
