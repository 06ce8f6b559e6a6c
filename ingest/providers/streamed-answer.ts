/**
 * What every provider gathers while an answer streams (text, first-token time, usage, finish reason) and
 * how the answer ends: the one place for the rule that a stream cut before its vendor's end marker is
 * partial, never scored, and retried.
 */
import { costOf, type Prices, ProviderError, type ProviderFailure, type ProviderSuccess } from './types.ts';

export class StreamedAnswer {
  private readonly t0 = performance.now();
  private readonly parts: string[] = [];
  private ttftMs: number | null = null;
  tokensIn: number | null = null;
  tokensOut: number | null = null;
  finishReason: string | null = null;

  constructor(
    private readonly providerId: string,
    private readonly onText: ((text: string) => void) | undefined,
  ) {}

  /** A piece of the answer's text, as it arrives (empty pieces are not text). */
  text(piece: string): void {
    if (piece === '') return;
    this.ttftMs ??= performance.now() - this.t0;
    this.parts.push(piece);
    this.onText?.(piece);
  }

  /**
   * The answer, once the stream is over. `ended`: the vendor's end marker (`marker`, for the message) was
   * seen; otherwise the stream was cut, or aborted (the SDKs end an aborted stream quietly): thrown.
   */
  finish(
    ended: boolean,
    marker: string,
    signal: AbortSignal,
    prices: Prices | null | undefined,
  ): ProviderSuccess {
    if (!ended) {
      if (signal.aborted) throw signal.reason;
      throw new ProviderError(
        `${this.providerId}: stream ended before ${marker} (partial response dropped)`,
        {
          kind: 'retryable',
          code: 'incomplete_stream',
        },
      );
    }
    return {
      ok: true,
      output: this.parts.join(''),
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      latencyMs: performance.now() - this.t0,
      ttftMs: this.ttftMs,
      costUsd: costOf(prices, this.tokensIn, this.tokensOut),
      finishReason: this.finishReason,
    };
  }

  failed(error: ProviderError): ProviderFailure {
    return { ok: false, error, latencyMs: performance.now() - this.t0 };
  }
}
