/**
 * The one provider interface the runner talks to. Each vendor file turns its SDK's stream into a
 * ProviderResult; nothing here throws for a failed request: a failure is a value the runner classifies.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling parameters; only the ones set are sent. */
export interface ModelParams {
  temperature?: number | undefined;
  max_tokens?: number | undefined;
  top_p?: number | undefined;
  seed?: number | undefined;
}

export interface ProviderRequest {
  messages: ChatMessage[];
  params: ModelParams;
}

export interface CallOptions {
  /** Aborts the request (deadline, stall, shutdown). */
  signal: AbortSignal;
  /** Called on every streamed chunk: the runner's stall watchdog resets on it. */
  onChunk?: (() => void) | undefined;
  /** Called with each piece of answer text as it streams (the playground forwards them). */
  onText?: ((delta: string) => void) | undefined;
  /** Called once per response with the rate-limit headers it carried, if any (x-ratelimit-*, anthropic-ratelimit-*). */
  onRateLimit?: ((limits: RateLimitSnapshot) => void) | undefined;
}

/**
 * What a provider said is left of its limits, from its response headers; null where it said nothing.
 * `reset*Ms`: how long until that limit is full again.
 */
export interface RateLimitSnapshot {
  requestsLimit: number | null;
  requestsRemaining: number | null;
  requestsResetMs: number | null;
  tokensLimit: number | null;
  tokensRemaining: number | null;
  tokensResetMs: number | null;
}

/** Price per 1M tokens, in USD. */
export interface Prices {
  input: number;
  output: number;
}

export interface ProviderSuccess {
  ok: true;
  output: string;
  tokensIn: number | null;
  tokensOut: number | null;
  latencyMs: number;
  ttftMs: number | null;
  costUsd: number | null;
  finishReason: string | null;
}

export interface ProviderFailure {
  ok: false;
  error: ProviderError;
  latencyMs: number;
}

export type ProviderResult = ProviderSuccess | ProviderFailure;

export interface Provider {
  /** e.g. "openai:gpt-4o-mini". */
  readonly id: string;
  complete(request: ProviderRequest, options: CallOptions): Promise<ProviderResult>;
  /** The model ids the endpoint lists (health checks); throws a classified ProviderError. */
  listModels?(signal: AbortSignal): Promise<string[]>;
}

/**
 * What the runner does with a failure:
 * - `retryable`: ask again later (connection, 408, 409, 429, 5xx, 529, timeouts, cut streams);
 * - `fatal`: stop the run; `stop` says in which state (`failed` for auth/bad requests, `paused` for a spend limit).
 */
export type ErrorKind = 'retryable' | 'fatal';
export type StopState = 'failed' | 'paused';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ErrorKind;
  readonly stop: StopState | null;
  readonly status: number | null;
  /** A short stable code: http_429, connection, timeout, stall, incomplete_stream, insufficient_quota, ... */
  readonly code: string;
  /** Server-requested wait before the next attempt (retry-after-ms / retry-after), if any. */
  readonly retryAfterMs: number | null;

  constructor(
    message: string,
    o: {
      kind: ErrorKind;
      code: string;
      stop?: StopState | null;
      status?: number | null;
      retryAfterMs?: number | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: o.cause });
    this.kind = o.kind;
    this.code = o.code;
    this.stop = o.kind === 'fatal' ? (o.stop ?? 'failed') : null;
    this.status = o.status ?? null;
    this.retryAfterMs = o.retryAfterMs ?? null;
  }
}

export function costOf(prices: Prices | null | undefined, tokensIn: number | null, tokensOut: number | null) {
  if (!prices || tokensIn === null || tokensOut === null) return null;
  return (tokensIn * prices.input + tokensOut * prices.output) / 1_000_000;
}
