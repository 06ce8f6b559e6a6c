import { describe, expect, it } from 'vitest';
import { StreamedAnswer } from './streamed-answer.ts';
import { ProviderError } from './types.ts';

describe('StreamedAnswer: how every provider ends a streamed answer', () => {
  it('joins the pieces, tells each to onText, and costs the usage at the prices per 1M tokens', async () => {
    const seen: string[] = [];
    const a = new StreamedAnswer('openai:m', (t) => seen.push(t));
    await new Promise((r) => setTimeout(r, 15));
    a.text('');
    a.text('Answer: ');
    a.text('');
    a.text('B');
    a.tokensIn = 1200;
    a.tokensOut = 30;
    a.finishReason = 'stop';
    const r = a.finish(true, 'a finish_reason', new AbortController().signal, { input: 0.15, output: 0.6 });
    expect(seen).toEqual(['Answer: ', 'B']); // empty pieces are not text
    expect(r.output).toBe('Answer: B');
    expect(r.costUsd).toBeCloseTo((1200 * 0.15 + 30 * 0.6) / 1e6, 15);
    expect(r.finishReason).toBe('stop');
    expect(r.ttftMs).toBeGreaterThanOrEqual(14); // from the answer's start to its first non-empty piece
    expect(r.latencyMs).toBeGreaterThanOrEqual(r.ttftMs!);
  });

  it('no first-token time and no cost without text, usage or prices', () => {
    const a = new StreamedAnswer('anthropic:m', undefined);
    const r = a.finish(true, 'message_stop', new AbortController().signal, null);
    expect(r).toMatchObject({ output: '', ttftMs: null, costUsd: null, tokensIn: null, tokensOut: null });
  });

  it('a stream cut before its end marker is a retryable incomplete_stream error naming the marker', () => {
    const a = new StreamedAnswer('google:gemini-x', undefined);
    a.text('partial');
    let err: unknown;
    try {
      a.finish(false, 'a finishReason', new AbortController().signal, null);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'retryable', code: 'incomplete_stream' });
    expect((err as Error).message).toBe(
      'google:gemini-x: stream ended before a finishReason (partial response dropped)',
    );
  });

  it('an aborted stream (the SDKs end it quietly) throws the abort reason, not a retryable error', () => {
    const ac = new AbortController();
    const reason = new Error('stopped by the user');
    ac.abort(reason);
    expect(() => new StreamedAnswer('openai:m', undefined).finish(false, 'x', ac.signal, null)).toThrow(
      reason,
    );
  });

  it('a failure keeps its error and the time spent', () => {
    const a = new StreamedAnswer('openai:m', undefined);
    const error = new ProviderError('boom', { kind: 'fatal', code: 'http_401' });
    const r = a.failed(error);
    expect(r.ok).toBe(false);
    expect(r.error).toBe(error);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });
});
