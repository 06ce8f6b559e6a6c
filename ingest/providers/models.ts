import { readFile, rename, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { z } from 'zod';

export const PROVIDER_KINDS = ['openai', 'anthropic', 'openai-compatible'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** A model's default parameters (models.yaml's `params`, the registry's). */
export const ModelParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().positive().optional(),
    top_p: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

/** One entry of models.yaml. The API key is never stored: `api_key_env` names the variable that holds it. */
export const ModelDefSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .regex(/^[^\s]+$/, 'no spaces'),
    provider: z.enum(PROVIDER_KINDS),
    model: z.string().min(1),
    base_url: z.string().url().optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as OPENAI_API_KEY')
      .optional(),
    /** USD per 1M tokens. */
    price: z
      .object({ input: z.number().min(0), output: z.number().min(0) })
      .strict()
      .optional(),
    params: ModelParamsSchema.optional(),
  })
  .strict();
export type ModelDef = z.infer<typeof ModelDefSchema>;

const ModelsFileSchema = z.object({ models: z.array(ModelDefSchema).default([]) }).strict();

export class ModelsFileError extends Error {}

/** Reads models.yaml; a missing file is an empty list. */
export async function loadModels(path: string): Promise<ModelDef[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = ModelsFileSchema.safeParse(parse(text) ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ModelsFileError(`${path} is not a valid models file:\n${lines.join('\n')}`);
  }
  const seen = new Set<string>();
  for (const m of parsed.data.models) {
    if (seen.has(m.name)) throw new ModelsFileError(`${path}: model "${m.name}" is declared twice`);
    seen.add(m.name);
  }
  return parsed.data.models;
}

/** Adds or replaces a model by name; written to a temporary file then renamed. */
export async function saveModel(path: string, model: ModelDef): Promise<'added' | 'replaced'> {
  const models = await loadModels(path);
  const i = models.findIndex((m) => m.name === model.name);
  if (i >= 0) models[i] = model;
  else models.push(model);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, stringify({ models }), 'utf8');
  await rename(tmp, path);
  return i >= 0 ? 'replaced' : 'added';
}

/** The env var a provider's key is read from when the model names none. openai-compatible servers often need no key. */
export function defaultKeyEnv(provider: ProviderKind): string | undefined {
  return provider === 'openai'
    ? 'OPENAI_API_KEY'
    : provider === 'anthropic'
      ? 'ANTHROPIC_API_KEY'
      : undefined;
}
