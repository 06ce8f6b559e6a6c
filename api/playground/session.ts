import { renderTemplate, TemplateError } from '../../ingest/benchmarks/render.ts';
import { ModelSetupError } from '../../ingest/providers/registry.ts';
import { type ChatMessage, costOf, type ModelParams, type Provider } from '../../ingest/providers/types.ts';
import type { CallableModel } from '../../models/types.ts';
import {
  DEFAULT_MAX_TOKENS,
  MAX_TOKENS_CAP,
  type ModelOutput,
  type RunMessage,
  type ServerEvent,
} from './protocol.ts';

/** What a run needs from outside: the workspace's models, a provider per model, the socket, the stop signal. */
export interface PlaygroundDeps {
  /** The registered model by id or name, ready to call; null when unknown or inactive. */
  callable(id: number | string): Promise<CallableModel | null>;
  provider(model: CallableModel): Promise<Provider>;
  send(event: ServerEvent): void;
  /** Stop pressed or socket closed: every upstream call is aborted. */
  signal: AbortSignal;
}

/** What the history keeps of a run's request: the prompt, its variables, each model with its parameters. */
export interface PlaygroundInput {
  system?: string;
  user: string;
  variables: Record<string, string>;
  models: { id: number; name: string; params: ModelParams }[];
}

export interface PlaygroundResult {
  input: PlaygroundInput;
  outputs: ModelOutput[];
  stopped: boolean;
}

/** A provider's message with the model's key taken out, should an upstream server echo it. */
function scrubbed(message: string, key: string | null): string {
  return key && key.length >= 4 ? message.replaceAll(key, '[key]') : message;
}

/** The run's parameters over the model's registered defaults; max_tokens always set, and capped. */
export function paramsFor(model: CallableModel, asked: ModelParams): ModelParams {
  const merged: ModelParams = { ...model.model.params, ...model.def.params };
  for (const [k, v] of Object.entries(asked)) if (v !== undefined) merged[k as keyof ModelParams] = v;
  merged.max_tokens = Math.min(MAX_TOKENS_CAP, merged.max_tokens ?? DEFAULT_MAX_TOKENS);
  return merged;
}

/**
 * Runs one playground message: renders the prompt (a missing or unknown variable, an unknown model:
 * one error event, before any call, and null), then streams every model at once, each event tagged with
 * the model's position. A model that fails sends its error; the others go on. Figures (tokens from the
 * provider's usage, cost = usage × the registered prices) go out as soon as its stream ends.
 */
export async function runPlayground(msg: RunMessage, deps: PlaygroundDeps): Promise<PlaygroundResult | null> {
  let prompt: { system?: string; user: string };
  try {
    prompt = renderTemplate({ system: msg.system, user: msg.user }, msg.variables);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    deps.send({ type: 'error', model: null, message: err.message });
    return null;
  }
  const models: CallableModel[] = [];
  for (const choice of msg.models) {
    let found: CallableModel | null;
    try {
      found = await deps.callable(choice.id);
    } catch (err) {
      // a model that cannot be called as registered (refused base URL, undecryptable key): the fix, by name
      if (!(err instanceof ModelSetupError)) throw err;
      deps.send({ type: 'error', model: null, message: err.message });
      return null;
    }
    if (!found) {
      deps.send({
        type: 'error',
        model: null,
        message: `model ${JSON.stringify(choice.id)} is not a registered active model of this workspace (GET /models lists them)`,
      });
      return null;
    }
    models.push(found);
  }
  const messages: ChatMessage[] = [
    ...(prompt.system ? [{ role: 'system' as const, content: prompt.system }] : []),
    { role: 'user', content: prompt.user },
  ];
  const input: PlaygroundInput = {
    ...(msg.system !== undefined ? { system: msg.system } : {}),
    user: msg.user,
    variables: msg.variables,
    models: models.map((m, i) => ({
      id: m.model.id,
      name: m.model.name,
      params: paramsFor(m, msg.models[i]?.params ?? {}),
    })),
  };
  const outputs = await Promise.all(
    models.map((m, i) => runOne(i, m, messages, input.models[i]?.params ?? {}, deps)),
  );
  return { input, outputs, stopped: deps.signal.aborted };
}

async function runOne(
  index: number,
  m: CallableModel,
  messages: ChatMessage[],
  params: ModelParams,
  deps: PlaygroundDeps,
): Promise<ModelOutput> {
  const out: ModelOutput = {
    id: m.model.id,
    name: m.model.name,
    text: '',
    error: null,
    ttft_ms: null,
    total_ms: null,
    tokens_in: null,
    tokens_out: null,
    cost: null,
  };
  const fail = (message: string) => {
    out.error = scrubbed(message, m.apiKey);
    deps.send({ type: 'error', model: index, message: out.error });
    return out;
  };
  deps.send({ type: 'start', model: index, id: m.model.id, name: m.model.name });
  let provider: Provider;
  try {
    provider = await deps.provider(m);
  } catch (err) {
    return fail(`${m.model.name}: ${(err as Error).message}`);
  }
  if (deps.signal.aborted) return fail('stopped');
  const parts: string[] = [];
  const result = await provider.complete(
    { messages, params },
    {
      signal: deps.signal,
      onText: (delta) => {
        parts.push(delta);
        deps.send({ type: 'token', model: index, delta });
      },
    },
  );
  out.text = parts.join('');
  out.total_ms = Math.round(result.latencyMs);
  if (!result.ok) return fail(deps.signal.aborted ? 'stopped' : result.error.message);
  out.text = result.output;
  out.ttft_ms = result.ttftMs === null ? null : Math.round(result.ttftMs);
  out.tokens_in = result.tokensIn;
  out.tokens_out = result.tokensOut;
  out.cost = costOf(m.prices, result.tokensIn, result.tokensOut);
  deps.send({
    type: 'done',
    model: index,
    ttft_ms: out.ttft_ms,
    total_ms: out.total_ms,
    tokens_in: out.tokens_in,
    tokens_out: out.tokens_out,
    cost: out.cost,
  });
  return out;
}
