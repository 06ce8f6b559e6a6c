import type { GoogleGenAI } from '@google/genai';
import { classifyError, retryAfterMs } from './classify.ts';
import { reportRateLimits } from './rate-limit-headers.ts';
import { StreamedAnswer } from './streamed-answer.ts';
import {
  type CallOptions,
  type Prices,
  type Provider,
  ProviderError,
  type ProviderRequest,
  type ProviderResult,
} from './types.ts';

export interface GeminiProviderOptions {
  client: GoogleGenAI;
  /** e.g. "gemini-2.5-flash". */
  model: string;
  prices?: Prices | null | undefined;
  /** For error messages ("cannot reach …"). */
  baseURL?: string | undefined;
}

/**
 * Gemini's generateContent over SSE (`:streamGenerateContent?alt=sse`) through @google/genai. Choices made here:
 * - system messages become `systemInstruction`; assistant turns are the `model` role;
 * - output tokens are `candidatesTokenCount + thoughtsTokenCount` (thinking is billed as output);
 * - a stream that ends without a `finishReason` was cut and is dropped (retryable), as for the other vendors;
 * - each request goes through a fetch of our own that refuses redirects and keeps the response headers, since
 *   the SDK's ApiError carries neither headers nor the retry delay: a 429's `retry-after` or the body's
 *   google.rpc.RetryInfo `retryDelay` becomes the failure's `retryAfterMs`.
 */
export function createGeminiProvider(o: GeminiProviderOptions): Provider {
  const id = `google:${o.model}`;
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
      const contents = request.messages
        .filter((m) => m.role !== 'system')
        .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
      const seen: { headers: Headers | null } = { headers: null };
      const config: NonNullable<Parameters<GoogleGenAI['models']['generateContentStream']>[0]['config']> = {
        abortSignal: signal,
        httpOptions: { fetch: keepingHeaders(seen) },
      };
      if (system) config.systemInstruction = system;
      if (p.temperature !== undefined) config.temperature = p.temperature;
      if (p.top_p !== undefined) config.topP = p.top_p;
      if (p.seed !== undefined) config.seed = p.seed;
      if (p.max_tokens !== undefined) config.maxOutputTokens = p.max_tokens;
      try {
        const stream = await o.client.models.generateContentStream({ model: o.model, contents, config });
        reportRateLimits(seen.headers, onRateLimit);
        for await (const chunk of stream) {
          onChunk?.();
          const cand = chunk.candidates?.[0];
          for (const part of cand?.content?.parts ?? []) {
            // Thought summaries are not the answer.
            if (typeof part.text === 'string' && !part.thought) answer.text(part.text);
          }
          if (cand?.finishReason) answer.finishReason = cand.finishReason;
          const u = chunk.usageMetadata;
          if (u) {
            answer.tokensIn = u.promptTokenCount ?? answer.tokensIn;
            if (u.candidatesTokenCount !== undefined || u.thoughtsTokenCount !== undefined)
              answer.tokensOut = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
          }
        }
        return answer.finish(answer.finishReason !== null, 'a finishReason', signal, o.prices);
      } catch (err) {
        reportRateLimits(seen.headers, onRateLimit);
        return answer.failed(classifyError(asApiError(err, seen.headers, id), signal, id, o.baseURL));
      }
    },
    async listModels(signal: AbortSignal): Promise<string[]> {
      const seen: { headers: Headers | null } = { headers: null };
      try {
        const pager = await o.client.models.list({
          config: { abortSignal: signal, pageSize: 1000, httpOptions: { fetch: keepingHeaders(seen) } },
        });
        return pager.page.map((m) => (m.name ?? '').replace(/^models\//, '')).filter((n) => n !== '');
      } catch (err) {
        throw classifyError(asApiError(err, seen.headers, id), signal, id, o.baseURL);
      }
    },
  };
}

/** The global fetch, refusing redirects (see registry.ts), keeping the response's headers for us. */
function keepingHeaders(seen: { headers: Headers | null }): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, { ...init, redirect: 'error' });
    seen.headers = res.headers;
    return res;
  };
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { '@type'?: string; retryDelay?: string; violations?: { quotaId?: string }[] }[];
  };
}

/**
 * The SDK throws `ApiError { status, message: JSON of the body }`. Reshaped like the other SDKs' errors
 * (status, headers, error body, the server's own message) so that classifyError reads it; a RetryInfo delay
 * becomes `retry-after-ms` unless the response had a retry-after header.
 */
function asApiError(err: unknown, headers: Headers | null, vendor: string): unknown {
  if (!(err instanceof Error) || err.name !== 'ApiError') return err;
  const status = (err as Error & { status?: unknown }).status;
  if (typeof status !== 'number') return err;
  let body: GoogleErrorBody = {};
  const json = err.message.slice(err.message.indexOf('{'));
  try {
    body = JSON.parse(json) as GoogleErrorBody;
  } catch {
    // not JSON: keep the text as the message
  }
  const h = new Headers(headers ?? undefined);
  const details = body.error?.details ?? [];
  const delay = details.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
  const delayMs = delay ? Number.parseFloat(delay) * 1000 : Number.NaN;
  if (!h.has('retry-after') && !h.has('retry-after-ms') && Number.isFinite(delayMs))
    h.set('retry-after-ms', String(delayMs));
  const message = body.error?.message ?? err.message;
  // Gemini says "You exceeded your current quota" for per-minute limits too: only a per-day quota is a spend
  // limit (the run pauses); any other 429 is a rate limit worth waiting for, so it is classified here.
  const quotaIds = details.flatMap((d) => d.violations ?? []).map((v) => v.quotaId ?? '');
  const perDay = quotaIds.length > 0 && quotaIds.every((q) => /PerDay/i.test(q));
  if (status === 429 && !perDay) {
    return new ProviderError(`${vendor} 429: ${message}`, {
      kind: 'retryable',
      status,
      code: 'http_429',
      retryAfterMs: retryAfterMs(h),
      cause: err,
    });
  }
  return Object.assign(new Error(message, { cause: err }), {
    status,
    headers: h,
    error: perDay ? { code: 'insufficient_quota' } : { type: body.error?.status },
  });
}
