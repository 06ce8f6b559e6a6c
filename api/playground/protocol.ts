/**
 * The playground's WebSocket protocol (`/ws/playground`, issue #22), in one place: what a client may send
 * (zod, strict), what the server sends back, and the bounds. The dashboard page speaks it too.
 *
 * Client → server: `run` (a prompt against 1–4 models), `stop` (aborts the run in flight).
 * Server → client, each event tagged with `model`, the position of the model in the run's `models` (the
 * same model may be asked twice with other parameters), or null for what concerns the whole socket:
 *   start → token* → done | error, per model, interleaved as the models stream; then one `end`.
 */
import { z } from 'zod';

/** The largest client message, in bytes (a prompt and its variables): beyond, an error event. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Models one run may ask at once. */
export const MAX_MODELS = 4;
/** The largest max_tokens a run may ask of a model, and what is asked when neither run nor model says. */
export const MAX_TOKENS_CAP = 8192;
export const DEFAULT_MAX_TOKENS = 1024;

const Params = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(MAX_TOKENS_CAP).optional(),
  top_p: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
});

const ModelChoice = z.strictObject({
  id: z
    .union([z.number().int().positive(), z.string().min(1).max(191)])
    .describe('a registered model: its id or its name'),
  params: Params.default({}),
});

export const RunMessage = z.strictObject({
  type: z.literal('run'),
  system: z.string().max(MAX_MESSAGE_BYTES).optional(),
  user: z.string().min(1).max(MAX_MESSAGE_BYTES),
  variables: z.record(z.string(), z.string()).default({}),
  models: z.array(ModelChoice).min(1).max(MAX_MODELS),
});
export type RunMessage = z.infer<typeof RunMessage>;

export const ClientMessage = z.discriminatedUnion('type', [
  RunMessage,
  z.strictObject({ type: z.literal('stop') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** What one model gave: kept in the history, sent in its `done` (figures) or `error` (message) event. */
export interface ModelOutput {
  /** The registered model's id and name, as resolved when the run started (null: not resolved). */
  id: number | null;
  name: string;
  text: string;
  error: string | null;
  ttft_ms: number | null;
  total_ms: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  /** USD: the provider's usage × the model's registered prices; null without prices or usage. */
  cost: number | null;
}

export type ServerEvent =
  | { type: 'start'; model: number; id: number; name: string }
  | { type: 'token'; model: number; delta: string }
  | {
      type: 'done';
      model: number;
      ttft_ms: number | null;
      total_ms: number;
      tokens_in: number | null;
      tokens_out: number | null;
      cost: number | null;
    }
  | { type: 'error'; model: number | null; message: string }
  | { type: 'end'; model: null; run_id: number | null; stopped: boolean };

/** A client message as text → the message, or what is wrong with it (the error event's text). */
export function parseClientMessage(
  raw: string | Buffer,
): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_MESSAGE_BYTES)
    return { ok: false, error: `message of ${size} bytes; at most ${MAX_MESSAGE_BYTES} are accepted` };
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, error: 'message is not JSON: send {"type":"run",...} or {"type":"stop"}' };
  }
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    return { ok: false, error: `invalid message: ${issues.join('; ')}` };
  }
  return { ok: true, message: parsed.data };
}
