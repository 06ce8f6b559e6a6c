import { AbortReason } from '../providers/classify.ts';
import type { Provider, ProviderRequest, ProviderResult, RateLimitSnapshot } from '../providers/types.ts';
import type { Clock } from './clock.ts';

export interface AttemptLimits {
  /** The whole attempt must end within this (ms). */
  deadlineMs: number;
  /** No byte for this long (headers included) aborts the attempt (ms). */
  stallMs: number;
}

/**
 * One request with its deadline and stall watchdog. `stop` aborts it from outside (grace period over).
 * The watchdog is one timer re-armed lazily, not one per chunk: chunks only record when they arrived.
 */
export async function attemptOnce(
  provider: Provider,
  request: ProviderRequest,
  limits: AttemptLimits,
  stop: AbortSignal,
  clock: Clock,
  onRateLimit?: (limits: RateLimitSnapshot) => void,
): Promise<ProviderResult> {
  const ctl = new AbortController();
  const onStop = () => ctl.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const deadline = setTimeout(
    () =>
      ctl.abort(
        new AbortReason('deadline', `no complete answer within the ${limits.deadlineMs} ms deadline`),
      ),
    limits.deadlineMs,
  );
  let lastByte = clock.now();
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  const watch = (delay: number) => {
    stallTimer = setTimeout(() => {
      const idle = clock.now() - lastByte;
      if (idle >= limits.stallMs) {
        ctl.abort(new AbortReason('stall', `stream stalled: nothing received for ${limits.stallMs} ms`));
      } else watch(limits.stallMs - idle);
    }, delay);
  };
  watch(limits.stallMs);
  try {
    return await provider.complete(request, {
      signal: ctl.signal,
      onChunk: () => {
        lastByte = clock.now();
      },
      onRateLimit,
    });
  } finally {
    clearTimeout(deadline);
    clearTimeout(stallTimer);
    stop.removeEventListener('abort', onStop);
  }
}
