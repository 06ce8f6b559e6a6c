/**
 * A local LLM server speaking the OpenAI chat completions and Anthropic messages wire protocols (JSON and SSE
 * streaming, with usage), with scripted answers and fault injection. It records every request it receives, so
 * tests can assert the exact request an SDK sent and the time between attempts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Protocol = 'openai' | 'anthropic';

export type Fault =
  /** An HTTP error with the vendor's error body. */
  | { type: 'status'; status: number; headers?: Record<string, string>; message?: string; errorType?: string }
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
  /** Scripted chunk timing: the wait before each streamed event after the first (default 0: all at once). */
  chunkDelayMs?: number | ((ctx: RequestContext) => number);
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
}

export interface FakeProvider {
  url: string;
  /** For the OpenAI SDK's baseURL. */
  openaiBaseURL: string;
  /** For the Anthropic SDK's baseURL. */
  anthropicBaseURL: string;
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

function errorBody(protocol: Protocol, status: number, message: string, type?: string, code?: string) {
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
    const protocol: Protocol | null = path.endsWith('/chat/completions')
      ? 'openai'
      : path.endsWith('/messages')
        ? 'anthropic'
        : null;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (!protocol || req.method !== 'POST')
      return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return json(res, 400, errorBody(protocol, 400, 'body is not JSON'));
    }
    const prompt = promptOf(protocol, body);
    const attempt = seen.get(prompt) ?? 0;
    seen.set(prompt, attempt + 1);
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
      const key = protocol === 'anthropic' ? (req.headers['x-api-key'] ?? bearer) : bearer;
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
        errorBody(protocol, fault.status, fault.message ?? `injected ${fault.status}`, fault.errorType),
        {
          'x-request-id': `req_${rec.n}`,
          ...fault.headers,
        },
      );
    }
    if (fault?.type === 'insufficient_quota') {
      const message = 'You exceeded your current quota, please check your plan and billing details.';
      return json(res, 429, errorBody(protocol, 429, message, 'insufficient_quota', 'insufficient_quota'));
    }

    const text = options.answer ? options.answer(ctx) : 'A';
    const id = `${protocol === 'openai' ? 'chatcmpl' : 'msg'}_${rec.n}`;
    if (!body.stream) {
      if (protocol === 'openai') {
        json(res, 200, {
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
        });
      } else {
        json(res, 200, {
          id,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: tokensOf(prompt), output_tokens: tokensOf(text) },
        });
      }
      rec.answered = true;
      answered++;
      return;
    }

    const events = protocol === 'openai' ? openaiChunks(rec, text, id) : anthropicChunks(rec, text, id);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    if (fault?.type === 'stall' || fault?.type === 'cut') {
      const keep = fault.afterChunks ?? 2;
      res.write(events.slice(0, keep).join(''));
      if (fault.type === 'cut') setTimeout(() => res.socket?.destroy(), 5);
      // A stall keeps the connection open until the client aborts or the server closes.
      return;
    }
    const gap =
      typeof options.chunkDelayMs === 'function' ? options.chunkDelayMs(ctx) : (options.chunkDelayMs ?? 0);
    if (gap > 0) {
      // the wait comes before each content chunk; what follows the last one (finish, usage) comes at once
      const first = protocol === 'openai' ? 1 : 3;
      const content = split(text, options.chunks ?? 3).length;
      res.write(events.slice(0, first).join(''));
      for (const e of events.slice(first, first + content)) {
        await new Promise((r) => setTimeout(r, gap));
        if (res.destroyed) return;
        res.write(e);
      }
      events.splice(0, first + content);
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
    requests,
    answered: () => answered,
    set(o) {
      options = { ...options, ...o };
    },
    reset() {
      requests.length = 0;
      seen.clear();
      answered = 0;
      seq = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
