import { createHash } from 'node:crypto';
import { SLOT, templateSlots } from './slots.ts';
import type { BenchItem, BenchmarkDef } from './types.ts';

export { templateSlots };

export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * How one variable value becomes prompt text. An array is a list of options and renders as
 * lettered lines, "A. first\nB. second", which is what `{{choices}}` produces for a
 * multiple-choice item (the multiple_choice scorer reads the same array to know the valid letters).
 * Strings are inserted as they are; other values as JSON.
 */
export function renderValue(value: unknown): string {
  if (Array.isArray(value))
    return value.map((v, i) => `${LETTERS[i] ?? `(${i + 1})`}. ${renderScalar(v)}`).join('\n');
  return renderScalar(value);
}

function renderScalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function fill(text: string, item: BenchItem): string {
  return text.replace(SLOT, (_, name: string) => {
    if (!(name in item.vars)) throw new Error(`item ${item.id}: template variable "${name}" is missing`);
    return renderValue(item.vars[name]);
  });
}

/** The prompt for one item: the template's slots filled from the item's variables. */
export function renderPrompt(
  def: Pick<BenchmarkDef, 'template'>,
  item: BenchItem,
): { system?: string; user: string } {
  const user = fill(def.template.user, item);
  return def.template.system === undefined ? { user } : { system: fill(def.template.system, item), user };
}

/** A template that cannot be rendered with the given variables: names what is missing or unknown. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly missing: string[],
    readonly unknown: string[],
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * A prompt template (stored prompts, the playground) rendered from named variables. Refused, naming
 * each, when a slot has no value, or a value or a declared variable is not a slot of the template
 * (usually a typo: a silent extra would go unnoticed). Values render as in benchmark items.
 */
export function renderTemplate(
  template: { system?: string | undefined; user: string },
  vars: Record<string, unknown>,
  declared?: readonly string[],
): { system?: string; user: string } {
  const slots = templateSlots(template);
  const missing = slots.filter((s) => !(s in vars));
  const known = new Set([...slots, ...(declared ?? [])]);
  const unknown = [
    ...Object.keys(vars).filter((v) => !known.has(v)),
    ...(declared ?? []).filter((d) => !slots.includes(d)),
  ];
  if (missing.length || unknown.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`no value for ${missing.map((m) => `{{${m}}}`).join(', ')}`);
    if (unknown.length)
      parts.push(
        `${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a variable of the template (its variables: ${slots.join(', ') || 'none'})`,
      );
    throw new TemplateError(`template: ${parts.join('; ')}`, missing, [...new Set(unknown)]);
  }
  const fillText = (text: string) => text.replace(SLOT, (_, name: string) => renderValue(vars[name]));
  const user = fillText(template.user);
  return template.system === undefined ? { user } : { system: fillText(template.system), user };
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * A short, stable id of what decides a result besides the model: the benchmark version, the
 * prompt template and the scorer config (after defaults). 12 hex digits of a sha256.
 */
export function promptVersion(def: Pick<BenchmarkDef, 'version' | 'template' | 'scorer'>): string {
  const payload = canonicalJson({ version: def.version, template: def.template, scorer: def.scorer });
  return createHash('sha256').update(payload).digest('hex').slice(0, 12);
}
