import type OpenAI from 'openai';
import { classifyError } from './classify.ts';
import { reportRateLimits } from './rate-limit-headers.ts';
import {
  type CallOptions,
  costOf,
  type Prices,
  type Provider,
  ProviderError,
  type ProviderRequest,
  type ProviderResult,
} from './types.ts';

export interface OpenAIProviderOptions {
  client: OpenAI;
  /** The model id the server knows, e.g. "gpt-4o-mini" or "llama3.1:8b". */
  model: string;
  prices?: Prices | null | undefined;
  /**
   * `openai` sends `max_completion_tokens` (max_tokens is deprecated there and refused by reasoning models);
   * `openai-compatible` sends `max_tokens`, which vLLM, Ollama and llama.cpp understand.
   */
  flavor: 'openai' | 'openai-compatible';
}

/** Chat completions over SSE, with `include_usage` so the last chunk carries token counts. */
export function createOpenAIProvider(o: OpenAIProviderOptions): Provider {
  const id = `${o.flavor}:${o.model}`;
  return {
    id,
    async complete(
      request: ProviderRequest,
      { signal, onChunk, onText, onRateLimit }: CallOptions,
    ): Promise<ProviderResult> {
      const t0 = performance.now();
      const p = request.params;
      const body: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
        model: o.model,
        messages: request.messages,
        stream: true,
        stream_options: { include_usage: true },
      };
      if (p.temperature !== undefined) body.temperature = p.temperature;
      if (p.top_p !== undefined) body.top_p = p.top_p;
      if (p.seed !== undefined) body.seed = p.seed;
      if (p.max_tokens !== undefined) {
        if (o.flavor === 'openai') body.max_completion_tokens = p.max_tokens;
        else body.max_tokens = p.max_tokens;
      }
      let ttftMs: number | null = null;
      const parts: string[] = [];
      let tokensIn: number | null = null;
      let tokensOut: number | null = null;
      let finishReason: string | null = null;
      try {
        // maxRetries 0: the runner owns retries, backoff and the rate limiter.
        const { data: stream, response } = await o.client.chat.completions
          .create(body, { signal, maxRetries: 0 })
          .withResponse();
        reportRateLimits(response.headers, onRateLimit);
        for await (const chunk of stream) {
          onChunk?.();
          const choice = chunk.choices[0];
          const delta = choice?.delta?.content;
          if (delta) {
            ttftMs ??= performance.now() - t0;
            parts.push(delta);
            onText?.(delta);
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) {
            tokensIn = chunk.usage.prompt_tokens ?? null;
            tokensOut = chunk.usage.completion_tokens ?? null;
          }
        }
        // A stream that ends without a finish_reason was cut: its text is partial and must not be scored.
        if (finishReason === null) {
          if (signal.aborted) throw signal.reason; // the SDK ends an aborted stream quietly
          throw new ProviderError(`${id}: stream ended before a finish_reason (partial response dropped)`, {
            kind: 'retryable',
            code: 'incomplete_stream',
          });
        }
        return {
          ok: true,
          output: parts.join(''),
          tokensIn,
          tokensOut,
          latencyMs: performance.now() - t0,
          ttftMs,
          costUsd: costOf(o.prices, tokensIn, tokensOut),
          finishReason,
        };
      } catch (err) {
        reportRateLimits((err as { headers?: Headers } | null)?.headers, onRateLimit);
        return {
          ok: false,
          error: classifyError(err, signal, id, o.client.baseURL),
          latencyMs: performance.now() - t0,
        };
      }
    },
    async listModels(signal: AbortSignal): Promise<string[]> {
      try {
        const page = await o.client.models.list({ signal, maxRetries: 0 });
        return page.data.map((m) => m.id);
      } catch (err) {
        throw classifyError(err, signal, id, o.client.baseURL);
      }
    },
  };
}
