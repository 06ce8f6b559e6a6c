import { z } from 'zod';

/**
 * The one rule for names: benchmark slugs, model names, run labels, item ids and metadata field names.
 * The import gate applies it to every record and the API to every name it is asked for, so a name that
 * imports can always be asked for, and both stores hold it whole (VARCHAR(191) on MySQL).
 * Length counts UTF-16 code units (JavaScript's length): never more than MySQL's characters.
 */
export const MAX_NAME_LENGTH = 191;

/**
 * No lone surrogates: they have no UTF-8 form, so a store would keep U+FFFD instead and the name would
 * no longer match. String.prototype.isWellFormed (Node 20; not yet in TypeScript's ES2023 lib) is
 * several times faster than a regular expression, and this runs for every name of every record.
 */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Why `name` cannot be a name, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_NAME_LENGTH)
    return `must be at most ${MAX_NAME_LENGTH} characters (this one has ${name.length})`;
  if (!wellFormed(name)) return 'must be valid Unicode (it has a lone surrogate)';
  return null;
}

/** The API's schema for a name: the same rule. */
export const NAME = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine(wellFormed, 'must be valid Unicode (it has a lone surrogate)');

/** The names of a record, as [field path, name], for the gate to check. */
export function recordNames(r: {
  benchmark: string;
  model: string;
  run?: string | undefined;
  item_id: string;
  metadata: Record<string, unknown>;
}): [string, string][] {
  const out: [string, string][] = [
    ['benchmark', r.benchmark],
    ['model', r.model],
    ['run', r.run ?? 'default'],
    ['item_id', r.item_id],
  ];
  for (const k of Object.keys(r.metadata)) out.push([`metadata.${k}`, k]);
  return out;
}

const fits = (s: string) => s.length > 0 && s.length <= MAX_NAME_LENGTH && wellFormed(s);

/**
 * The first name of the record that breaks the rule, as {field, message}, or null. Called for every
 * record of an import (twice: the import gate and the store's), so the common case allocates nothing.
 */
export function recordNameProblem(
  r: Parameters<typeof recordNames>[0],
): { field: string; message: string } | null {
  if (fits(r.benchmark) && fits(r.model) && (r.run === undefined || fits(r.run)) && fits(r.item_id)) {
    let all = true;
    for (const k in r.metadata) {
      if (!fits(k)) {
        all = false;
        break;
      }
    }
    if (all) return null;
  }
  for (const [field, name] of recordNames(r)) {
    const p = nameProblem(name);
    if (p) {
      const what = field.startsWith('metadata.') ? 'field name' : field;
      const shown = name.length > 40 ? `${JSON.stringify(name.slice(0, 40))}…` : JSON.stringify(name);
      return { field, message: `${what} ${shown} ${p}` };
    }
  }
  return null;
}
