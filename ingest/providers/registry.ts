import { defaultKeyEnv, type ModelDef, ModelDefSchema, PROVIDER_KINDS, type ProviderKind } from './models.ts';
import type { Provider } from './types.ts';

export type Env = Record<string, string | undefined>;

/** A model that cannot be used as configured: the message says how to fix it. */
export class ModelSetupError extends Error {}

const DEFAULT_BASE_URL: Record<ProviderKind, string | undefined> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  'openai-compatible': undefined,
};

/** Builds the provider and its SDK client. SDKs are imported on first use (each takes ~0.3-0.5 s to load). */
type Factory = (model: ModelDef, apiKey: string, baseURL: string) => Promise<Provider>;

// The SDKs' own retries are off (maxRetries 0): the runner owns retries, backoff and deadlines.
// Redirects are refused: an LLM endpoint has no reason to send one, and following it would take the
// request (and its key) to an address the base URL check never saw.
const NO_REDIRECTS = { redirect: 'error' } as const;
const openaiFactory =
  (flavor: 'openai' | 'openai-compatible'): Factory =>
  async (m, apiKey, baseURL) => {
    const [{ default: OpenAI }, { createOpenAIProvider }] = await Promise.all([
      import('openai'),
      import('./openai.ts'),
    ]);
    return createOpenAIProvider({
      client: new OpenAI({ apiKey, baseURL, maxRetries: 0, fetchOptions: NO_REDIRECTS }),
      model: m.model,
      prices: m.price,
      flavor,
    });
  };

const FACTORIES: Record<ProviderKind, Factory> = {
  openai: openaiFactory('openai'),
  'openai-compatible': openaiFactory('openai-compatible'),
  anthropic: async (m, apiKey, baseURL) => {
    const [{ default: Anthropic }, { createAnthropicProvider }] = await Promise.all([
      import('@anthropic-ai/sdk'),
      import('./anthropic.ts'),
    ]);
    return createAnthropicProvider({
      client: new Anthropic({ apiKey, baseURL, maxRetries: 0, fetchOptions: NO_REDIRECTS }),
      model: m.model,
      prices: m.price,
    });
  },
};

export interface ModelRefOptions {
  baseUrl?: string | undefined;
  apiKeyEnv?: string | undefined;
}

/**
 * `--model` is a name from models.yaml or an ad hoc `provider:model-id` (with `--base-url` / `--api-key-env`).
 * A name wins over the ad hoc form, so a models.yaml entry can be called "openai:gpt-4o" if someone wants.
 */
export function resolveModel(ref: string, models: ModelDef[], o: ModelRefOptions = {}): ModelDef {
  const named = models.find((m) => m.name === ref);
  if (named) {
    return {
      ...named,
      ...(o.baseUrl ? { base_url: o.baseUrl } : {}),
      ...(o.apiKeyEnv ? { api_key_env: o.apiKeyEnv } : {}),
    };
  }
  const colon = ref.indexOf(':');
  if (colon <= 0) {
    const known = models.map((m) => m.name);
    throw new ModelSetupError(
      `unknown model "${ref}": ${known.length ? `models.yaml declares ${known.join(', ')}` : 'models.yaml declares no models'}; ` +
        `add one with \`evalhouse models add\` or name it ad hoc as provider:model-id (${PROVIDER_KINDS.join(', ')})`,
    );
  }
  const provider = ref.slice(0, colon);
  const model = ref.slice(colon + 1);
  if (!(PROVIDER_KINDS as readonly string[]).includes(provider)) {
    throw new ModelSetupError(
      `unknown provider "${provider}" in "${ref}"; known providers: ${PROVIDER_KINDS.join(', ')}`,
    );
  }
  const parsed = ModelDefSchema.safeParse({
    name: ref,
    provider,
    model,
    ...(o.baseUrl ? { base_url: o.baseUrl } : {}),
    ...(o.apiKeyEnv ? { api_key_env: o.apiKeyEnv } : {}),
  });
  if (!parsed.success) {
    throw new ModelSetupError(
      `model "${ref}": ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Reads the key from the environment and builds the provider; throws a ModelSetupError with the fix. */
export async function createProvider(model: ModelDef, env: Env): Promise<Provider> {
  const baseURL = model.base_url ?? DEFAULT_BASE_URL[model.provider];
  if (!baseURL) {
    throw new ModelSetupError(
      `model "${model.name}" (${model.provider}) needs a base URL: --base-url http://host:port/v1 or base_url in models.yaml`,
    );
  }
  const keyEnv = model.api_key_env ?? defaultKeyEnv(model.provider);
  let apiKey = 'none';
  if (keyEnv) {
    const v = env[keyEnv];
    if (!v) {
      throw new ModelSetupError(
        `model "${model.name}" needs an API key: set the environment variable ${keyEnv}` +
          (model.api_key_env ? ' (api_key_env)' : ` (or name another with api_key_env / --api-key-env)`),
      );
    }
    apiKey = v;
  }
  return FACTORIES[model.provider](model, apiKey, baseURL);
}

/**
 * Builds the provider of a model whose key is given (the model registry's, decrypted: models/registry.ts
 * providerOf), not read from the environment.
 */
export async function createProviderWithKey(model: ModelDef, apiKey: string): Promise<Provider> {
  const baseURL = model.base_url ?? DEFAULT_BASE_URL[model.provider];
  if (!baseURL) throw new ModelSetupError(`model "${model.name}" (${model.provider}) needs a base URL`);
  return FACTORIES[model.provider](model, apiKey, baseURL);
}
