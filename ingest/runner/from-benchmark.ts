import type { RunPrompt } from '../../core/store.ts';
import { promptVersion, renderPrompt } from '../benchmarks/load.ts';
import { renderTemplate, TemplateError, templateSlots } from '../benchmarks/render.ts';
import type { BenchItem, BenchmarkDef } from '../benchmarks/types.ts';
import type { ModelDef } from '../providers/models.ts';
import type { ChatMessage, ModelParams, Provider } from '../providers/types.ts';
import { createScorer, type ScoreContext, scorerTypes } from '../scorers/registry.ts';
import { defaultWriteBehind, PLAN_DEFAULTS, type PlanItem, type RunPlan, selectItems } from './plan.ts';

/** What a `run` command or `POST /runs` asks for, besides the benchmark and the model. */
export interface RunOptions {
  label: string;
  limit?: number | null | undefined;
  sampleSeed?: number | null | undefined;
  samples?: number | undefined;
  concurrency?: number | undefined;
  rpm?: number | undefined;
  tpm?: number | undefined;
  deadlineMs?: number | undefined;
  stallMs?: number | undefined;
  graceMs?: number | undefined;
  maxAttempts?: number | undefined;
  writeBehind?: number | undefined;
  /** Overrides the model's default params (kept in the run's config). */
  params?: ModelParams | undefined;
  /** For benchmarks scored by an LLM judge. */
  judge?: { name: string; provider: Provider } | undefined;
  /** For benchmarks scored by semantic similarity (see ingest/scorers/embeddings.ts embeddingsFor). */
  embed?: ScoreContext['embed'] | undefined;
  /**
   * A stored prompt version (prompts/) to render the items with instead of the benchmark's template; its
   * parameters apply between the model's and `params`.
   */
  prompt?: (RunPrompt & { template: StoredTemplate }) | undefined;
}

/** A stored prompt version's template (prompts/types.ts Template). */
export interface StoredTemplate {
  system: string | null;
  user: string;
  variables: string[];
  params: ModelParams;
}

/**
 * The items rendered with a stored template: each slot filled from the item's variables (renderTemplate,
 * the benchmark's own renderer underneath). Refused before anything runs when items lack a variable,
 * naming the variables, how many items lack them, and the variables the items have.
 */
function storedPrompt(def: BenchmarkDef, chosen: BenchItem[], t: StoredTemplate) {
  const template = t.system === null ? { user: t.user } : { system: t.system, user: t.user };
  const slots = templateSlots(template);
  const lacking = new Map<string, number>();
  for (const it of chosen)
    for (const s of slots) if (!(s in it.vars)) lacking.set(s, (lacking.get(s) ?? 0) + 1);
  if (lacking.size > 0) {
    const have = [...new Set(chosen.flatMap((it) => Object.keys(it.vars)))].sort();
    throw new TemplateError(
      `the prompt's ${[...lacking].map(([s, n]) => `{{${s}}} (${n} of ${chosen.length} items lack it)`).join(', ')} ` +
        `${lacking.size === 1 ? 'is not a variable' : 'are not variables'} of benchmark ${def.slug}'s items; they have: ${have.join(', ') || 'none'}`,
      [...lacking.keys()],
      [],
    );
  }
  const render = (item: BenchItem) =>
    renderTemplate(template, Object.fromEntries(slots.map((s) => [s, item.vars[s]])), t.variables);
  return { template, render };
}

function toPlanItem(
  item: BenchItem,
  render: (item: BenchItem) => { system?: string; user: string },
): PlanItem {
  const p = render(item);
  const messages: ChatMessage[] = [];
  if (p.system !== undefined) messages.push({ role: 'system', content: p.system });
  messages.push({ role: 'user', content: p.user });
  return {
    id: item.id,
    messages,
    input: p.system === undefined ? p.user : `${p.system}\n\n${p.user}`,
    reference: item.reference,
    metadata: item.metadata,
  };
}

/** Turns a loaded benchmark and a model into the runner's plan (prompts rendered, items selected, scorer bound). */
export function planFromBenchmark(def: BenchmarkDef, model: ModelDef, o: RunOptions): RunPlan {
  const limit = o.limit ?? null;
  const seed = o.sampleSeed ?? null;
  const samples = o.samples ?? 1;
  const chosen = selectItems(def.items, limit, seed);
  const stored = o.prompt ? storedPrompt(def, chosen, o.prompt.template) : null;
  const render = stored ? stored.render : (item: BenchItem) => renderPrompt(def, item);
  // the run config's prompt_version hashes the template the items were rendered with
  const rendered = stored ? { ...def, template: stored.template } : def;
  const byId = new Map(def.items.map((it) => [it.id, it]));
  const scorer = createScorer(def.scorer);
  const types = scorerTypes(def.scorer);
  if (types.has('judge') && !o.judge) {
    throw new Error(
      `benchmark ${def.slug} is scored by an LLM judge: name the judge model with --judge-model <name>`,
    );
  }
  if (types.has('semantic') && !o.embed)
    throw new Error(`benchmark ${def.slug} is scored by semantic similarity: it needs an embeddings model`);
  const judge = o.judge?.provider;
  const ctx: ScoreContext = o.embed ? { embed: o.embed } : {};
  if (judge)
    ctx.judge = async (prompt) => {
      const r = await judge.complete(
        { messages: [{ role: 'user', content: prompt }], params: { temperature: 0 } },
        { signal: AbortSignal.timeout(o.deadlineMs ?? PLAN_DEFAULTS.deadlineMs) },
      );
      if (!r.ok) throw r.error;
      return r.output;
    };
  const params: ModelParams = { ...model.params, ...o.prompt?.template.params, ...o.params };
  return {
    benchmark: def.slug,
    model: model.name,
    label: o.label,
    config: {
      benchmark_version: def.version,
      prompt_version: promptVersion(rendered),
      provider: model.provider,
      model_id: model.model,
      params,
      limit,
      sample_seed: seed,
      samples,
      ...(o.judge ? { judge_model: o.judge.name } : {}),
    },
    ...(o.prompt
      ? { prompt: { name: o.prompt.name, version: o.prompt.version, label: o.prompt.label } }
      : {}),
    items: chosen.map((it) => toPlanItem(it, render)),
    score: (response, item) => scorer.score(response, byId.get(item.id)!, ctx),
    concurrency: o.concurrency ?? PLAN_DEFAULTS.concurrency,
    rpm: o.rpm,
    tpm: o.tpm,
    deadlineMs: o.deadlineMs ?? PLAN_DEFAULTS.deadlineMs,
    stallMs: o.stallMs ?? PLAN_DEFAULTS.stallMs,
    graceMs: o.graceMs ?? PLAN_DEFAULTS.graceMs,
    retry: { ...PLAN_DEFAULTS.retry, ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}) },
    maxBatchRows: PLAN_DEFAULTS.maxBatchRows,
    writeBehind: o.writeBehind ?? defaultWriteBehind(o.concurrency ?? PLAN_DEFAULTS.concurrency),
  };
}
