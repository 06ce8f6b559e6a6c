import type Anthropic from '@anthropic-ai/sdk';
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

export interface AnthropicProviderOptions {
  client: Anthropic;
  model: string;
  prices?: Prices | null | undefined;
}

/** Anthropic requires max_tokens; this is used when the model declares none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

/** Messages API over SSE: input tokens arrive in message_start, output tokens in message_delta. */
export function createAnthropicProvider(o: AnthropicProviderOptions): Provider {
  const id = `anthropic:${o.model}`;
  return {
    id,
    async complete(
      request: ProviderRequest,
      { signal, onChunk, onText, onRateLimit }: CallOptions,
    ): Promise<ProviderResult> {
      const t0 = performance.now();
      const p = request.params;
      const system = request.messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n\n');
      const body: Anthropic.MessageCreateParamsStreaming = {
        model: o.model,
        max_tokens: p.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
        messages: request.messages
          .filter((m) => m.role !== 'system')
          .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
        stream: true,
      };
      if (system) body.system = system;
      // This SDK's types no longer list temperature/top_p (recent models fix them), but the API still takes them
      // for the models that do: send them only when the model's params set them. The API has no seed.
      const sampling: Record<string, number> = {};
      if (p.temperature !== undefined) sampling.temperature = p.temperature;
      if (p.top_p !== undefined) sampling.top_p = p.top_p;
      Object.assign(body, sampling);
      let ttftMs: number | null = null;
      const parts: string[] = [];
      let tokensIn: number | null = null;
      let tokensOut: number | null = null;
      let finishReason: string | null = null;
      let stopped = false;
      try {
        const { data: stream, response } = await o.client.messages
          .create(body, { signal, maxRetries: 0 })
          .withResponse();
        reportRateLimits(response.headers, onRateLimit);
        for await (const ev of stream) {
          onChunk?.();
          switch (ev.type) {
            case 'message_start': {
              const u = ev.message.usage;
              tokensIn =
                (u.input_tokens ?? 0) +
                (u.cache_creation_input_tokens ?? 0) +
                (u.cache_read_input_tokens ?? 0);
              tokensOut = u.output_tokens ?? null;
              break;
            }
            case 'content_block_delta':
              if (ev.delta.type === 'text_delta') {
                ttftMs ??= performance.now() - t0;
                parts.push(ev.delta.text);
                onText?.(ev.delta.text);
              }
              break;
            case 'message_delta':
              if (ev.usage.output_tokens !== null && ev.usage.output_tokens !== undefined) {
                tokensOut = ev.usage.output_tokens;
              }
              finishReason = ev.delta.stop_reason ?? finishReason;
              break;
            case 'message_stop':
              stopped = true;
              break;
            default:
              break;
          }
        }
        if (!stopped) {
          if (signal.aborted) throw signal.reason; // the SDK ends an aborted stream quietly
          throw new ProviderError(`${id}: stream ended before message_stop (partial response dropped)`, {
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
        const page = await o.client.models.list({ limit: 1000 }, { signal, maxRetries: 0 });
        return page.data.map((m) => m.id);
      } catch (err) {
        throw classifyError(err, signal, id, o.client.baseURL);
      }
    },
  };
}
