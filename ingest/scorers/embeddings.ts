import type OpenAI from 'openai';
import type { ModelRegistry } from '../../models/types.ts';
import type { ModelDef } from '../providers/models.ts';
import { type Env, ModelSetupError, resolveModel } from '../providers/registry.ts';
import type { ScorerConfig } from './config.ts';
import type { EmbeddingModelRef, ScoreContext } from './types.ts';

/**
 * The semantic scorer's embeddings, resolved like the judge's model: a models.yaml name (or an ad hoc
 * `openai-compatible:<id>` with base_url), its key read from the environment variable it names. Any
 * OpenAI-compatible /v1/embeddings serves (OpenAI, vLLM, Ollama, llama.cpp, TEI); evalhouse downloads
 * no weights. One client per model, made on first use.
 */

const DEFAULT_OPENAI = 'https://api.openai.com/v1';

export interface EmbeddingsOptions {
  /** Per request; the embeddings call is aborted after it. */
  timeoutMs?: number;
}

async function sdkClient(apiKey: string, baseURL: string): Promise<OpenAI> {
  const { default: OpenAISdk } = await import('openai');
  // Redirects refused for the same reason as the providers': the key must not follow one.
  return new OpenAISdk({ apiKey, baseURL, maxRetries: 2, fetchOptions: { redirect: 'error' } });
}

/** Checks what can be checked before a run: the model resolves, can embed, and its key is set. */
export function resolveEmbeddingModel(
  ref: EmbeddingModelRef,
  models: ModelDef[],
  env: Env,
): ResolvedEmbeddingModel {
  const model = resolveModel(ref.model, models, { baseUrl: ref.base_url, apiKeyEnv: ref.api_key_env });
  if (model.provider === 'anthropic')
    throw new ModelSetupError(`embeddings model "${ref.model}": anthropic serves no /v1/embeddings`);
  const baseURL = model.base_url ?? (model.provider === 'openai' ? DEFAULT_OPENAI : undefined);
  if (!baseURL)
    throw new ModelSetupError(
      `embeddings model "${ref.model}" needs a base URL (base_url in the scorer or models.yaml)`,
    );
  const keyEnv = model.api_key_env ?? (model.provider === 'openai' ? 'OPENAI_API_KEY' : undefined);
  let apiKey = 'none';
  if (keyEnv) {
    const v = env[keyEnv];
    if (!v) throw new ModelSetupError(`embeddings model "${ref.model}" needs an API key: set ${keyEnv}`);
    apiKey = v;
  }
  return { model, apiKey, baseURL };
}

/** Where an embeddings model is and its key (a clear key: it never leaves the process). */
export interface ResolvedEmbeddingModel {
  model: ModelDef;
  apiKey: string;
  baseURL: string;
}

/** ctx.embed over any resolver: embeddings.create with float vectors, placed by index. */
export function embeddingsVia(
  resolve: (ref: EmbeddingModelRef) => Promise<ResolvedEmbeddingModel>,
  o: EmbeddingsOptions = {},
): NonNullable<ScoreContext['embed']> {
  const clients = new Map<string, Promise<{ client: OpenAI; model: string }>>();
  return async (ref, texts) => {
    const key = JSON.stringify([ref.model, ref.base_url ?? null, ref.api_key_env ?? null]);
    let entry = clients.get(key);
    if (!entry) {
      entry = resolve(ref).then(async (r) => ({
        client: await sdkClient(r.apiKey, r.baseURL),
        model: r.model.model,
      }));
      // A failed resolution is not cached: the next item tries again.
      entry.catch(() => clients.delete(key));
      clients.set(key, entry);
    }
    const { client, model } = await entry;
    const res = await client.embeddings.create(
      // float: the SDK otherwise asks for base64, which not every compatible server speaks.
      { model, input: texts, encoding_format: 'float' },
      o.timeoutMs ? { signal: AbortSignal.timeout(o.timeoutMs) } : {},
    );
    const out = new Array<number[] | undefined>(texts.length);
    for (const d of res.data) if (d.index >= 0 && d.index < texts.length) out[d.index] = d.embedding;
    if (out.some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))))
      throw new Error(`embeddings from "${ref.model}": expected ${texts.length} numeric vectors`);
    return out as number[][];
  };
}

/** ctx.embed resolving names through models.yaml and keys through the environment (CLI, queue workers). */
export function embeddingsFor(
  models: ModelDef[],
  env: Env,
  o: EmbeddingsOptions = {},
): NonNullable<ScoreContext['embed']> {
  return embeddingsVia(async (ref) => resolveEmbeddingModel(ref, models, env), o);
}

/**
 * ctx.embed resolving names through the workspace's model registry (#22: models/types.ts), whose keys
 * are stored encrypted: `callable(name)` gives the definition and the clear key. base_url /
 * api_key_env in the scorer config are for models.yaml only and are refused here.
 */
export function embeddingsFromRegistry(
  registry: Pick<ModelRegistry, 'callable'>,
  o: EmbeddingsOptions = {},
): NonNullable<ScoreContext['embed']> {
  return embeddingsVia(async (ref) => {
    if (ref.base_url !== undefined || ref.api_key_env !== undefined)
      throw new ModelSetupError(
        `embeddings model "${ref.model}": base_url and api_key_env are for models.yaml; register the model instead`,
      );
    const c = await registry.callable(ref.model);
    if (!c) throw new ModelSetupError(`embeddings model "${ref.model}" is not registered (or not active)`);
    if (c.def.provider === 'anthropic')
      throw new ModelSetupError(`embeddings model "${ref.model}": anthropic serves no /v1/embeddings`);
    const baseURL = c.def.base_url ?? (c.def.provider === 'openai' ? DEFAULT_OPENAI : undefined);
    if (!baseURL) throw new ModelSetupError(`embeddings model "${ref.model}" has no base URL`);
    return { model: c.def, apiKey: c.apiKey ?? 'none', baseURL };
  }, o);
}

/** The embeddings models a scorer configuration names (composites' parts included). */
export function semanticModels(c: ScorerConfig): EmbeddingModelRef[] {
  if (c.type === 'semantic') return [{ model: c.model, base_url: c.base_url, api_key_env: c.api_key_env }];
  if (c.type === 'all' || c.type === 'any') return c.of.flatMap(semanticModels);
  if (c.type === 'weighted') return c.of.flatMap((p) => semanticModels(p.scorer));
  return [];
}

/**
 * ctx.embed for a benchmark's scorer, or undefined when it has no semantic part. Every model it names is
 * resolved now, so a missing key or unknown name is reported before the run starts (ModelSetupError).
 */
export function embeddingsForScorer(
  config: ScorerConfig,
  models: ModelDef[],
  env: Env,
  o: EmbeddingsOptions = {},
): ScoreContext['embed'] {
  const refs = semanticModels(config);
  if (refs.length === 0) return undefined;
  for (const r of refs) resolveEmbeddingModel(r, models, env);
  return embeddingsFor(models, env, o);
}
