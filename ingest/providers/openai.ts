import type OpenAI from 'openai';
import { classifyError } from './classify.ts';
import { reportRateLimits } from './rate-limit-headers.ts';
import { StreamedAnswer } from './streamed-answer.ts';
import type { CallOptions, Prices, Provider, ProviderRequest, ProviderResult } from './types.ts';

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
      const answer = new StreamedAnswer(id, onText);
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
      try {
        // maxRetries 0: the runner owns retries, backoff and the rate limiter.
        const { data: stream, response } = await o.client.chat.completions
          .create(body, { signal, maxRetries: 0 })
          .withResponse();
        reportRateLimits(response.headers, onRateLimit);
        for await (const chunk of stream) {
          onChunk?.();
          const choice = chunk.choices[0];
          answer.text(choice?.delta?.content ?? '');
          if (choice?.finish_reason) answer.finishReason = choice.finish_reason;
          if (chunk.usage) {
            answer.tokensIn = chunk.usage.prompt_tokens ?? null;
            answer.tokensOut = chunk.usage.completion_tokens ?? null;
          }
        }
        return answer.finish(answer.finishReason !== null, 'a finish_reason', signal, o.prices);
      } catch (err) {
        reportRateLimits((err as { headers?: Headers } | null)?.headers, onRateLimit);
        return answer.failed(classifyError(err, signal, id, o.client.baseURL));
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
