/**
 * A local server speaking OpenAI's POST /v1/embeddings wire format (as vLLM, Ollama, llama.cpp and TEI
 * serve it), for the semantic scorer's tests. Vectors are deterministic bags of hashed words, so texts
 * sharing words are similar; `vectorOf` gives the same vector the server sends.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export const EMBEDDING_DIM = 16;

/** Each lower-case word adds ±1 to the bucket its hash picks (sign from the hash too). */
export function vectorOf(text: string): number[] {
  const v = new Array<number>(EMBEDDING_DIM).fill(0);
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = createHash('sha256').update(w).digest();
    v[h[0]! % EMBEDDING_DIM]! += h[1]! % 2 === 0 ? 1 : -1;
  }
  return v;
}

export interface EmbeddingsRequest {
  headers: IncomingMessage['headers'];
  body: { model?: unknown; input?: unknown; encoding_format?: unknown };
}

export interface FakeEmbeddings {
  /** For the OpenAI SDK's baseURL / a models.yaml base_url. */
  baseURL: string;
  requests: EmbeddingsRequest[];
  /** When set, answers this HTTP status with OpenAI's error body. */
  failWith: number | null;
  close(): Promise<void>;
}

export async function startFakeEmbeddings(o: { apiKey?: string } = {}): Promise<FakeEmbeddings> {
  const requests: EmbeddingsRequest[] = [];
  const state: FakeEmbeddings = {
    baseURL: '',
    requests,
    failWith: null,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as EmbeddingsRequest['body'];
    requests.push({ headers: req.headers, body });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string) =>
      send(status, { error: { message, type: 'invalid_request_error', code: null } });
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') return error(404, 'not found');
    if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) return error(401, 'bad key');
    if (state.failWith !== null) return error(state.failWith, 'embeddings backend down');
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || !input.every((t) => typeof t === 'string'))
      return error(400, 'input must be a string or a list of strings');
    // Answered in reverse order: clients must place vectors by `index`, as the API allows.
    const data = input.map((t, index) => ({ object: 'embedding', index, embedding: vectorOf(t) })).reverse();
    const tokens = input.reduce((s, t) => s + t.split(/\s+/).length, 0);
    send(200, {
      object: 'list',
      data,
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}
