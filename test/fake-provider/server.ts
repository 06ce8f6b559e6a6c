/**
 * A local LLM server speaking the OpenAI chat completions, Anthropic messages and Gemini generateContent wire
 * protocols (JSON and SSE streaming, with usage, and each vendor's model list), with scripted answers, chunk
 * timing, rate-limit headers and fault injection. It records every request it receives, so tests can assert the
 * exact request an SDK sent and the time between attempts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Protocol = 'openai' | 'anthropic' | 'gemini';

export type Fault =
  /** An HTTP error with the vendor's error body. */
  | {
      type: 'status';
      status: number;
      headers?: Record<string, string>;
      message?: string;
      errorType?: string;
      /** Gemini: a google.rpc.RetryInfo detail with this delay, e.g. "1.5s". */
      retryDelay?: string;
    }
  /** OpenAI's spend-limit 429 (`insufficient_quota`). */
  | { type: 'insufficient_quota' }
  /** 200 and SSE headers, optionally a few chunks, then nothing until the client gives up. */
  | { type: 'stall'; afterChunks?: number }
  /** A few chunks, then the connection is destroyed mid-stream. */
  | { type: 'cut'; afterChunks?: number };

export interface RequestContext {
  /** 0-based index of this request among all received. */
  n: number;
  protocol: Protocol;
  /** The last user message's text. */
  prompt: string;
  /** How many earlier requests carried the same prompt (0 on the first attempt). */
  attempt: number;
  body: Record<string, unknown>;
}

export interface FakeOptions {
  /** Delay before the response starts (ms). */
  latencyMs?: number | ((ctx: RequestContext) => number);
  /** The assistant's text; default "A". */
  answer?: (ctx: RequestContext) => string;
  fault?: (ctx: RequestContext) => Fault | undefined;
  /** Number of content chunks the answer is split into when streaming (default 3). */
  chunks?: number;
  /** When set, requests without this key get a 401. */
  apiKey?: string;
  /** Pause before each streamed content chunk after the first event (ms), or per event index. */
  chunkDelayMs?: number | ((ctx: RequestContext, chunk: number) => number);
  /** The ids GET /v1/models and /v1beta/models list (default ["fake-model"]). */
  models?: string[];
  /**
   * A fixed-window budget announced in the vendor's headers (OpenAI x-ratelimit-*, Anthropic
   * anthropic-ratelimit-*; Gemini sends none); a completion past it gets a 429 with retry-after.
   */
  rateLimit?: { requests?: number; tokens?: number; windowMs: number };
}

export interface ReceivedRequest {
  n: number;
  protocol: Protocol;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  prompt: string;
  attempt: number;
  /** performance.now() when the request arrived. */
  at: number;
  fault: Fault['type'] | null;
  /** A complete successful answer was sent. */
  answered: boolean;
  /** The client went away before the response was complete. */
  aborted: boolean;
  /** Refused with a 429 because the `rateLimit` budget was spent. */
  rateLimited: boolean;
}

export interface FakeProvider {
  url: string;
  /** For the OpenAI SDK's baseURL. */
  openaiBaseURL: string;
  /** For the Anthropic SDK's baseURL. */
  anthropicBaseURL: string;
  /** For @google/genai's httpOptions.baseUrl. */
  geminiBaseURL: string;
  requests: ReceivedRequest[];
  /** Successful answers fully sent. */
  answered(): number;
  set(options: Partial<FakeOptions>): void;
  reset(): void;
  close(): Promise<void>;
}

export function tokensOf(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function promptOf(protocol: Protocol, body: Record<string, unknown>): string {
  if (protocol === 'gemini') {
    const contents = (body.contents as { role?: string; parts?: { text?: string }[] }[] | undefined) ?? [];
    const last = contents.filter((c) => (c.role ?? 'user') === 'user').at(-1);
    return last ? (last.parts ?? []).map((p) => p.text ?? '').join('') : protocol;
  }
  const messages = (body.messages as { role: string; content: unknown }[] | undefined) ?? [];
  const users = messages.filter((m) => m.role === 'user');
  const last = users[users.length - 1]?.content;
  if (typeof last === 'string') return last;
  if (Array.isArray(last)) return last.map((b: { text?: string }) => b.text ?? '').join('');
  return protocol;
}

function split(text: string, n: number): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const ANTHROPIC_ERROR_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function errorBody(
  protocol: Protocol,
  status: number,
  message: string,
  type?: string,
  code?: string,
  retryDelay?: string,
) {
  if (protocol === 'gemini') {
    const details: object[] = [];
    if (type)
      details.push({
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [{ quotaId: type }],
      });
    if (retryDelay) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });
    return {
      error: {
        code: status,
        message,
        status: GOOGLE_STATUS[status] ?? 'UNKNOWN',
        ...(details.length ? { details } : {}),
      },
    };
  }
  if (protocol === 'anthropic') {
    return { type: 'error', error: { type: type ?? ANTHROPIC_ERROR_TYPE[status] ?? 'api_error', message } };
  }
  return {
    error: {
      message,
      type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: code ?? null,
    },
  };
}

export async function startFakeProvider(initial: FakeOptions = {}): Promise<FakeProvider> {
  let options: FakeOptions = { ...initial };
  const requests: ReceivedRequest[] = [];
  const seen = new Map<string, number>();
  let answered = 0;
  let seq = 0;
  const sockets = new Set<Socket>();

  function openaiChunks(rec: ReceivedRequest, text: string, id: string) {
    const model = String(rec.body.model ?? 'fake');
    const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
    const events: string[] = [];
    events.push(
      JSON.stringify({
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      }),
    );
    for (const part of split(text, options.chunks ?? 3)) {
      events.push(
        JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] }),
      );
    }
    events.push(JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
    const usage = { prompt_tokens: tokensOf(rec.prompt), completion_tokens: tokensOf(text) };
    if ((rec.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      events.push(
        JSON.stringify({
          ...base,
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
    }
    return [...events.map((e) => `data: ${e}\n\n`), 'data: [DONE]\n\n'];
  }

  function anthropicChunks(rec: ReceivedRequest, text: string, id: string) {
    const model = String(rec.body.model ?? 'fake');
    const ev = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const out = [
      ev('message_start', {
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: tokensOf(rec.prompt),
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('ping', {}),
    ];
    for (const part of split(text, options.chunks ?? 3)) {
      out.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: part } }));
    }
    out.push(ev('content_block_stop', { index: 0 }));
    out.push(
      ev('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: tokensOf(text) },
      }),
    );
    out.push(ev('message_stop', {}));
    return out;
  }

  function geminiChunks(rec: ReceivedRequest, text: string, _id: string) {
    const model = /models\/([^:]+):/.exec(rec.path)?.[1] ?? 'fake';
    const promptTokens = tokensOf(rec.prompt);
    const pieces = split(text, options.chunks ?? 3);
    return pieces.map((part, i) => {
      const last = i === pieces.length - 1;
      const done = last ? tokensOf(text) : tokensOf(pieces.slice(0, i + 1).join(''));
      return `data: ${JSON.stringify({
        candidates: [
          {
            content: { parts: [{ text: part }], role: 'model' },
            index: 0,
            ...(last ? { finishReason: 'STOP' } : {}),
          },
        ],
        usageMetadata: {
          promptTokenCount: promptTokens,
          candidatesTokenCount: done,
          totalTokenCount: promptTokens + done,
        },
        modelVersion: model,
        responseId: `resp_${rec.n}`,
      })}\r\n\r\n`;
    });
  }

  /** The fixed window of the `rateLimit` budget. */
  const budget = { start: 0, requests: 0, tokens: 0 };
  function budgetWindow(now: number) {
    const w = options.rateLimit?.windowMs ?? 0;
    if (now >= budget.start + w) {
      budget.start = now;
      budget.requests = 0;
      budget.tokens = 0;
    }
    return budget.start + w - now;
  }
  function limitHeaders(protocol: Protocol): Record<string, string> {
    const rl = options.rateLimit;
    if (!rl || protocol === 'gemini') return {};
    const now = Date.now();
    const resetMs = Math.max(0, budgetWindow(now));
    const h: Record<string, string> = {};
    const kinds = [
      ['requests', rl.requests, budget.requests],
      ['tokens', rl.tokens, budget.tokens],
    ] as const;
    for (const [kind, limit, used] of kinds) {
      if (limit === undefined) continue;
      const remaining = String(Math.max(0, limit - used));
      if (protocol === 'openai') {
        h[`x-ratelimit-limit-${kind}`] = String(limit);
        h[`x-ratelimit-remaining-${kind}`] = remaining;
        h[`x-ratelimit-reset-${kind}`] = resetMs < 1000 ? `${resetMs}ms` : `${resetMs / 1000}s`;
      } else {
        h[`anthropic-ratelimit-${kind}-limit`] = String(limit);
        h[`anthropic-ratelimit-${kind}-remaining`] = remaining;
        h[`anthropic-ratelimit-${kind}-reset`] = new Date(now + resetMs).toISOString();
      }
    }
    return h;
  }

  function listModels(protocol: Protocol) {
    const ids = options.models ?? ['fake-model'];
    if (protocol === 'gemini') {
      return {
        models: ids.map((m) => ({
          name: `models/${m}`,
          displayName: m,
          supportedGenerationMethods: ['generateContent', 'countTokens'],
        })),
      };
    }
    if (protocol === 'anthropic') {
      const data = ids.map((m) => ({
        type: 'model',
        id: m,
        display_name: m,
        created_at: '2026-01-01T00:00:00Z',
      }));
      return { data, has_more: false, first_id: ids[0] ?? null, last_id: ids.at(-1) ?? null };
    }
    return {
      object: 'list',
      data: ids.map((m) => ({ id: m, object: 'model', created: 0, owned_by: 'fake' })),
    };
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const listing = req.method === 'GET' && /^\/(v1|v1beta)\/models$/.test(path);
    const protocol: Protocol | null = path.endsWith('/chat/completions')
      ? 'openai'
      : path.endsWith('/messages')
        ? 'anthropic'
        : /^\/v1beta\/models\/[^/:]+:(stream)?[gG]enerateContent$/.test(path) || path === '/v1beta/models'
          ? 'gemini'
          : path === '/v1/models'
            ? req.headers['anthropic-version']
              ? 'anthropic'
              : 'openai'
            : null;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!protocol || (req.method !== 'POST' && !listing))
      return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    let body: Record<string, unknown>;
    try {
      body = listing ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, errorBody(protocol, 400, 'body is not JSON'));
    }
    const prompt = listing ? '' : promptOf(protocol, body);
    const attempt = listing ? 0 : (seen.get(prompt) ?? 0);
    if (!listing) seen.set(prompt, attempt + 1);
    const rec: ReceivedRequest = {
      n: seq++,
      protocol,
      method: req.method ?? '',
      path,
      headers: { ...req.headers },
      body,
      prompt,
      attempt,
      at: performance.now(),
      fault: null,
      answered: false,
      aborted: false,
      rateLimited: false,
    };
    requests.push(rec);
    const ctx: RequestContext = { n: rec.n, protocol, prompt, attempt, body };
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
    });

    const latency =
      typeof options.latencyMs === 'function' ? options.latencyMs(ctx) : (options.latencyMs ?? 0);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (res.destroyed) return;

    if (options.apiKey !== undefined) {
      // Anthropic SDKs have sent x-api-key, recent ones send a bearer token: accept either.
      const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const key =
        protocol === 'anthropic'
          ? (req.headers['x-api-key'] ?? bearer)
          : protocol === 'gemini'
            ? (req.headers['x-goog-api-key'] ?? new URL(req.url ?? '/', 'http://x').searchParams.get('key'))
            : bearer;
      if (key !== options.apiKey) {
        rec.fault = 'status';
        return json(
          res,
          401,
          errorBody(protocol, 401, 'Incorrect API key provided', undefined, 'invalid_api_key'),
        );
      }
    }

    const fault = options.fault?.(ctx);
    rec.fault = fault?.type ?? null;
    if (fault?.type === 'status') {
      return json(
        res,
        fault.status,
        errorBody(
          protocol,
          fault.status,
          fault.message ?? `injected ${fault.status}`,
          fault.errorType,
          undefined,
          fault.retryDelay,
        ),
        {
          'x-request-id': `req_${rec.n}`,
          ...fault.headers,
        },
      );
    }
    if (fault?.type === 'insufficient_quota') {
      const message = 'You exceeded your current quota, please check your plan and billing details.';
      // Gemini says so for a per-minute limit too; its per-day quota is the spend limit.
      const type =
        protocol === 'gemini' ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' : 'insufficient_quota';
      return json(res, 429, errorBody(protocol, 429, message, type, 'insufficient_quota'));
    }

    if (listing) {
      json(res, 200, listModels(protocol));
      rec.answered = true;
      return;
    }

    const text = options.answer ? options.answer(ctx) : 'A';
    let limits: Record<string, string> = {};
    if (options.rateLimit) {
      const rl = options.rateLimit;
      const resetMs = budgetWindow(Date.now());
      const cost = tokensOf(prompt) + tokensOf(text);
      if (
        (rl.requests !== undefined && budget.requests + 1 > rl.requests) ||
        (rl.tokens !== undefined && budget.tokens + cost > rl.tokens)
      ) {
        rec.rateLimited = true;
        rec.fault = 'status';
        return json(res, 429, errorBody(protocol, 429, 'Rate limit reached'), {
          ...limitHeaders(protocol),
          'retry-after-ms': String(Math.max(1, resetMs)),
        });
      }
      budget.requests++;
      budget.tokens += cost;
      limits = limitHeaders(protocol);
    }
    const id = `${protocol === 'openai' ? 'chatcmpl' : 'msg'}_${rec.n}`;
    const streaming = protocol === 'gemini' ? path.includes(':stream') : Boolean(body.stream);
    if (!streaming) {
      if (protocol === 'gemini') {
        json(
          res,
          200,
          {
            candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', index: 0 }],
            usageMetadata: {
              promptTokenCount: tokensOf(prompt),
              candidatesTokenCount: tokensOf(text),
              totalTokenCount: tokensOf(prompt) + tokensOf(text),
            },
            modelVersion: /models\/([^:]+):/.exec(path)?.[1] ?? 'fake',
          },
          limits,
        );
      } else if (protocol === 'openai') {
        json(
          res,
          200,
          {
            id,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
            usage: {
              prompt_tokens: tokensOf(prompt),
              completion_tokens: tokensOf(text),
              total_tokens: tokensOf(prompt) + tokensOf(text),
            },
          },
          limits,
        );
      } else {
        json(
          res,
          200,
          {
            id,
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: tokensOf(prompt), output_tokens: tokensOf(text) },
          },
          limits,
        );
      }
      rec.answered = true;
      answered++;
      return;
    }

    const events =
      protocol === 'openai'
        ? openaiChunks(rec, text, id)
        : protocol === 'anthropic'
          ? anthropicChunks(rec, text, id)
          : geminiChunks(rec, text, id);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...limits,
    });
    if (fault?.type === 'stall' || fault?.type === 'cut') {
      const keep = fault.afterChunks ?? 2;
      res.write(events.slice(0, keep).join(''));
      if (fault.type === 'cut') setTimeout(() => res.socket?.destroy(), 5);
      // A stall keeps the connection open until the client aborts or the server closes.
      return;
    }
    const pause = options.chunkDelayMs;
    if (pause !== undefined) {
      // the pauses fall before content events only: what follows the last one (finish, usage) comes at
      // once, as real servers send it, so "figures within 100 ms of the last token" is measurable
      const lead = protocol === 'openai' ? 1 : protocol === 'anthropic' ? 3 : 0;
      const lastContent = lead + split(text, options.chunks ?? 3).length - 1;
      for (let i = 0; i < events.length; i++) {
        const ms = i > lastContent ? 0 : typeof pause === 'function' ? pause(ctx, i) : i === 0 ? 0 : pause;
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        if (res.destroyed) return;
        res.write(events[i]);
      }
      events.length = 0;
    }
    res.end(events.join(''), () => {
      rec.answered = true;
      answered++;
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    geminiBaseURL: url,
    requests,
    answered: () => answered,
    set(o) {
      options = { ...options, ...o };
    },
    reset() {
      requests.length = 0;
      seen.clear();
      answered = 0;
      budget.start = 0;
      seq = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
