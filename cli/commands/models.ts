import type { Config } from '../../core/config.ts';
import {
  defaultKeyEnv,
  loadModels,
  type ModelDef,
  ModelDefSchema,
  ModelsFileError,
  saveModel,
} from '../../ingest/providers/models.ts';
import type { Env } from '../../ingest/providers/registry.ts';
import { CLI_ACTOR } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { withRegistry } from '../registries.ts';

const usage = `usage: evalhouse models list [--json] [--models-file models.yaml]
       evalhouse models add --name NAME --provider openai|anthropic|openai-compatible --model MODEL_ID
                            [--base-url URL] [--api-key-env VAR] [--price-in USD_PER_1M] [--price-out USD_PER_1M]
                            [--temperature T] [--max-tokens N] [--top-p P] [--seed S] [--models-file models.yaml]
       evalhouse models import [FILE] [--workspace SLUG]

Models live in models.yaml: name, provider, model id, base URL, the environment variable that holds the
API key (the key itself is never written), prices per 1M input/output tokens and default parameters.
\`add\` replaces a model of the same name. \`list\` shows whether each key variable is set, never its value.
\`import\` copies the models of FILE (default models.yaml) into the model registry of the workspace
(default: default), creating or updating each by name; each key is read from the variable the file
names (or the provider's default) and stored encrypted; a variable that is not set leaves the model's
key as it was. Works on the store directly (stop a server holding the embedded DuckDB file first).`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got "${v}")`);
  return n;
}

/** What `list` shows of a model: everything but secrets, plus whether its key variable is set. */
export function describeModel(m: ModelDef, env: Env) {
  const keyEnv = m.api_key_env ?? defaultKeyEnv(m.provider) ?? null;
  return {
    name: m.name,
    provider: m.provider,
    model: m.model,
    base_url: m.base_url ?? null,
    api_key_env: keyEnv,
    api_key_set: keyEnv ? Boolean(env[keyEnv]) : null,
    price: m.price ?? null,
    params: m.params ?? {},
  };
}

export async function modelsCommand(argv: string[], _config: Config, env: Env): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const { values } = parseCommandArgs(
      rest,
      { json: { type: 'boolean' }, 'models-file': { type: 'string', default: 'models.yaml' } },
      false,
    );
    let models: ModelDef[];
    try {
      models = await loadModels(values['models-file']);
    } catch (err) {
      if (err instanceof ModelsFileError) {
        console.error(`evalhouse models: ${err.message}`);
        return 2;
      }
      throw err;
    }
    const rows = models.map((m) => describeModel(m, env));
    if (values.json) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      console.log(
        `no models in ${values['models-file']}; add one with \`evalhouse models add\` (see models.example.yaml)`,
      );
      return 0;
    }
    for (const r of rows) {
      const key = r.api_key_env ? `key $${r.api_key_env} ${r.api_key_set ? '(set)' : '(NOT SET)'}` : 'no key';
      const price = r.price ? `$${r.price.input}/$${r.price.output} per 1M in/out` : 'no price';
      console.log(
        `${r.name.padEnd(24)} ${`${r.provider}:${r.model}`.padEnd(40)} ${key}; ${price}${r.base_url ? `; ${r.base_url}` : ''}`,
      );
    }
    return 0;
  }
  if (sub === 'add') {
    const { values: v } = parseCommandArgs(
      rest,
      {
        name: { type: 'string' },
        provider: { type: 'string' },
        model: { type: 'string' },
        'base-url': { type: 'string' },
        'api-key-env': { type: 'string' },
        'price-in': { type: 'string' },
        'price-out': { type: 'string' },
        temperature: { type: 'string' },
        'max-tokens': { type: 'string' },
        'top-p': { type: 'string' },
        seed: { type: 'string' },
        'models-file': { type: 'string', default: 'models.yaml' },
      },
      false,
    );
    if ((v['price-in'] === undefined) !== (v['price-out'] === undefined)) {
      throw new UsageError('give both --price-in and --price-out, or neither');
    }
    const params = Object.fromEntries(
      Object.entries({
        temperature: num('temperature', v.temperature),
        max_tokens: num('max-tokens', v['max-tokens']),
        top_p: num('top-p', v['top-p']),
        seed: num('seed', v.seed),
      }).filter(([, x]) => x !== undefined),
    );
    const parsed = ModelDefSchema.safeParse({
      name: v.name,
      provider: v.provider,
      model: v.model,
      ...(v['base-url'] ? { base_url: v['base-url'] } : {}),
      ...(v['api-key-env'] ? { api_key_env: v['api-key-env'] } : {}),
      ...(v['price-in'] !== undefined
        ? { price: { input: num('price-in', v['price-in']), output: num('price-out', v['price-out']) } }
        : {}),
      ...(Object.keys(params).length ? { params } : {}),
    });
    if (!parsed.success) {
      throw new UsageError(
        parsed.error.issues
          .map((i) => `--${String(i.path[0] ?? '').replace(/_/g, '-')}: ${i.message}`)
          .join('; '),
      );
    }
    const m = parsed.data;
    if (m.provider === 'openai-compatible' && !m.base_url)
      throw new UsageError('an openai-compatible model needs --base-url');
    const what = await saveModel(v['models-file'], m);
    const d = describeModel(m, env);
    console.log(`${what} ${m.name} (${m.provider}:${m.model}) in ${v['models-file']}`);
    if (d.api_key_env && !d.api_key_set) console.log(`note: ${d.api_key_env} is not set in this environment`);
    return 0;
  }
  if (sub === 'import') return importModels(rest, _config, env);
  throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'name a subcommand: list, add or import');
}

/** `models import`: models.yaml into a workspace's registry, keys from the variables it names. */
async function importModels(argv: string[], config: Config, env: Env): Promise<number> {
  const { values: v, positionals } = parseCommandArgs(argv, { workspace: { type: 'string' } }, true);
  if (positionals.length > 1) throw new UsageError('give at most one models file');
  const file = positionals[0] ?? 'models.yaml';
  let models: ModelDef[];
  try {
    models = await loadModels(file);
  } catch (err) {
    if (err instanceof ModelsFileError) {
      console.error(`evalhouse models: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (models.length === 0) {
    console.log(`no models in ${file}`);
    return 0;
  }
  await withRegistry(config, v.workspace, async (registry, ws) => {
    for (const m of models) {
      const keyEnv = m.api_key_env ?? defaultKeyEnv(m.provider);
      const key = keyEnv ? env[keyEnv] : undefined;
      const input = {
        provider: m.provider,
        model: m.model,
        base_url: m.base_url ?? null,
        ...(key ? { api_key: key } : {}),
        ...(m.price ? { price_in_per_mtok: m.price.input, price_out_per_mtok: m.price.output } : {}),
        params: m.params ?? {},
      };
      const have = await registry.byName(m.name);
      const saved = have
        ? await registry.update(have.id, input, CLI_ACTOR)
        : await registry.create({ name: m.name, ...input }, CLI_ACTOR);
      const keyNote = key
        ? `key from $${keyEnv} (${saved?.api_key_last4})`
        : keyEnv
          ? `$${keyEnv} not set: key ${saved?.api_key_last4 ? 'kept' : 'none'}`
          : 'no key';
      console.log(`${have ? 'updated' : 'created'} ${m.name} in ${ws.slug}: ${keyNote}`);
    }
  });
  return 0;
}

export const command: Command = {
  name: 'models',
  summary: 'list or add models (models.yaml); import them into the model registry',
  usage,
  // The CLI edge: the environment is only read to say whether key variables are set.
  run: (argv, config) => modelsCommand(argv, config, config.env),
};
