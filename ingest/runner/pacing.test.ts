import { describe, expect, it } from 'vitest';
import type { RateLimitSnapshot } from '../providers/types.ts';
import { paceWaitMs } from './pacing.ts';

const none: RateLimitSnapshot = {
  requestsLimit: null,
  requestsRemaining: null,
  requestsResetMs: null,
  tokensLimit: null,
  tokensRemaining: null,
  tokensResetMs: null,
};

describe('paceWaitMs', () => {
  const reserve = { requests: 4, tokens: 1000 };
  it('waits for the reset of whichever limit would not cover the requests in flight', () => {
    expect(paceWaitMs({ ...none, requestsRemaining: 4, requestsResetMs: 900 }, reserve)).toBe(0);
    expect(paceWaitMs({ ...none, requestsRemaining: 3, requestsResetMs: 900 }, reserve)).toBe(900);
    expect(paceWaitMs({ ...none, tokensRemaining: 999, tokensResetMs: 1200.4 }, reserve)).toBe(1201);
    expect(
      paceWaitMs(
        { ...none, requestsRemaining: 0, requestsResetMs: 300, tokensRemaining: 10, tokensResetMs: 5000 },
        reserve,
      ),
    ).toBe(5000);
  });
  it('never holds for a limit without a reset or not announced', () => {
    expect(paceWaitMs(none, reserve)).toBe(0);
    expect(paceWaitMs({ ...none, requestsRemaining: 0 }, reserve)).toBe(0);
  });
});
