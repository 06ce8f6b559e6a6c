import type Anthropic from '@anthropic-ai/sdk';
import { classifyError } from './classify.ts';
import { reportRateLimits } from './rate-limit-headers.ts';
import { StreamedAnswer } from './streamed-answer.ts';
import type { CallOptions, Prices, Provider, ProviderRequest, ProviderResult } from './types.ts';

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
      const answer = new StreamedAnswer(id, onText);
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
              answer.tokensIn =
                (u.input_tokens ?? 0) +
                (u.cache_creation_input_tokens ?? 0) +
                (u.cache_read_input_tokens ?? 0);
              answer.tokensOut = u.output_tokens ?? null;
              break;
            }
            case 'content_block_delta':
              if (ev.delta.type === 'text_delta') answer.text(ev.delta.text);
              break;
            case 'message_delta':
              if (ev.usage.output_tokens !== null && ev.usage.output_tokens !== undefined) {
                answer.tokensOut = ev.usage.output_tokens;
              }
              answer.finishReason = ev.delta.stop_reason ?? answer.finishReason;
              break;
            case 'message_stop':
              stopped = true;
              break;
            default:
              break;
          }
        }
        return answer.finish(stopped, 'message_stop', signal, o.prices);
      } catch (err) {
        reportRateLimits((err as { headers?: Headers } | null)?.headers, onRateLimit);
        return answer.failed(classifyError(err, signal, id, o.client.baseURL));
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
