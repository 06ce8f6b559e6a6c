import { describe, expect, it } from 'vitest';
import { duration, parseRateLimitHeaders } from './rate-limit-headers.ts';

describe('parseRateLimitHeaders', () => {
  it("reads OpenAI's x-ratelimit-* with Go-style durations", () => {
    const h = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29900',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseRateLimitHeaders(h)).toEqual({
      requestsLimit: 500,
      requestsRemaining: 499,
      requestsResetMs: 120,
      tokensLimit: 30000,
      tokensRemaining: 29900,
      tokensResetMs: 6 * 60 * 1000,
    });
  });
  it('parses durations: 1s, 6m0s, 250ms, 1h2m3.5s, 1.5s, bare seconds; refuses junk', () => {
    expect(duration('1s')).toBe(1000);
    expect(duration('6m0s')).toBe(360_000);
    expect(duration('250ms')).toBe(250);
    expect(duration('1h2m3.5s')).toBe(3_600_000 + 120_000 + 3500);
    expect(duration('1.5s')).toBe(1500);
    expect(duration('2')).toBe(2000);
    expect(duration('soon')).toBeNull();
    expect(duration('5x')).toBeNull();
    expect(duration('')).toBeNull();
  });
  it("reads Anthropic's anthropic-ratelimit-* with RFC 3339 resets, relative to now", () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const h = {
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '3',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02.500Z',
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '100',
      'anthropic-ratelimit-tokens-reset': '2025-12-31T23:59:00Z',
    };
    expect(parseRateLimitHeaders(h, now)).toEqual({
      requestsLimit: 50,
      requestsRemaining: 3,
      requestsResetMs: 2500,
      tokensLimit: 40000,
      tokensRemaining: 100,
      tokensResetMs: 0, // already past
    });
  });
  it('is null when a response says nothing about limits, and null per field when unreadable', () => {
    expect(parseRateLimitHeaders(new Headers({ 'content-type': 'application/json' }))).toBeNull();
    expect(parseRateLimitHeaders(null)).toBeNull();
    expect(
      parseRateLimitHeaders(
        new Headers({ 'x-ratelimit-remaining-requests': '7', 'x-ratelimit-reset-requests': 'later' }),
      ),
    ).toEqual({
      requestsLimit: null,
      requestsRemaining: 7,
      requestsResetMs: null,
      tokensLimit: null,
      tokensRemaining: null,
      tokensResetMs: null,
    });
  });
});
