import type { MetaValue } from '../../core/types.ts';
import type { RawItems } from './items-file.ts';
import { LETTERS, templateSlots } from './render.ts';
import type { BenchFieldType, BenchItem, BenchmarkProblem, BenchmarkYaml } from './types.ts';

/**
 * Turns raw records into items, checking each against the definition: `id` and `reference`
 * present, every metadata field present with its declared type (null allowed), every template
 * variable present, and what the scorer needs (choices for multiple choice, numbers for numeric).
 * Columns other than id, reference and metadata are the item's template variables; a metadata
 * field that the template uses is also a variable.
 */
export function toItems(
  def: BenchmarkYaml,
  raw: RawItems,
  file: string,
): { items: BenchItem[]; problems: BenchmarkProblem[] } {
  const problems: BenchmarkProblem[] = [];
  const items: BenchItem[] = [];
  const slots = templateSlots(def.template);
  const metaNames = new Set(def.metadata.map((f) => f.name));
  const seen = new Map<string, number>();
  const columns = new Set<string>();
  for (const { row } of raw.rows) for (const k of Object.keys(row)) columns.add(k);
  // A slot that no record has is one problem, not one per line.
  const absent = slots.filter((s) => !columns.has(s));
  for (const s of absent)
    problems.push({
      file,
      field: s,
      message: `template slot {{${s}}} is provided by no item; item fields: ${[...columns].join(', ') || '(none)'}`,
    });
  if (raw.rows.length === 0 && raw.problems.length === 0) problems.push({ file, message: 'no items' });

  for (const { line, row } of raw.rows) {
    const at = (field: string, message: string) => problems.push({ file, line, field, message });
    const id = row.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      at('id', id === undefined ? 'missing' : `must be a string, got ${describe(id)}`);
      continue;
    }
    const key = String(id);
    if (key === '') at('id', 'is empty');
    const dup = seen.get(key);
    if (dup !== undefined) at('id', `duplicate id "${key}" (first on line ${dup})`);
    seen.set(key, line);

    const refRaw = row.reference;
    let reference = '';
    if (typeof refRaw === 'string' || typeof refRaw === 'number') reference = String(refRaw);
    else at('reference', refRaw === undefined ? 'missing' : `must be a string, got ${describe(refRaw)}`);

    const metadata: Record<string, MetaValue> = {};
    for (const f of def.metadata) {
      if (!(f.name in row)) {
        at(f.name, `metadata field "${f.name}" (${f.type}) is missing`);
        continue;
      }
      const v = coerce(row[f.name], f.type, raw.fromText);
      if (v === undefined)
        at(f.name, `metadata field "${f.name}" must be ${f.type}, got ${describe(row[f.name])}`);
      else metadata[f.name] = v;
    }

    const vars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k === 'id' || k === 'reference' || (metaNames.has(k) && !slots.includes(k))) continue;
      vars[k] = raw.fromText ? jsonArrayCell(v) : v;
    }
    for (const s of slots)
      if (!absent.includes(s) && !(s in vars)) at(s, `template variable "${s}" is missing`);

    checkForScorer(def, vars, reference, at);
    items.push({ id: key, vars, reference, metadata });
  }
  return { items, problems };
}

function checkForScorer(
  def: BenchmarkYaml,
  vars: Record<string, unknown>,
  reference: string,
  at: (field: string, message: string) => void,
): void {
  const s = def.scorer;
  if (s.type === 'multiple_choice') {
    const choices = vars[s.choices];
    if (!Array.isArray(choices) || choices.length < 2 || choices.length > LETTERS.length) {
      at(
        s.choices,
        `must be a list of 2 to 26 options for the multiple_choice scorer, got ${describe(choices)}`,
      );
      return;
    }
    const valid = LETTERS.slice(0, choices.length);
    if (!(reference.length === 1 && valid.includes(reference)))
      at(
        'reference',
        `must be one of the letters ${valid} (item has ${choices.length} choices), got "${reference}"`,
      );
  } else if (s.type === 'numeric') {
    if (!Number.isFinite(Number(reference.replace(/,/g, ''))) || reference.trim() === '')
      at('reference', `must be a number for the numeric scorer, got "${reference}"`);
  }
}

/** A value checked (and for text files, converted) to the declared type; undefined when it does not fit. */
function coerce(v: unknown, type: BenchFieldType, fromText: boolean): MetaValue | undefined {
  if (v === null) return null;
  if (fromText && typeof v === 'string') {
    if (v === '') return type === 'string' || type === 'text' ? '' : null;
    if (type === 'integer') return /^-?\d+$/.test(v.trim()) ? Number(v) : undefined;
    if (type === 'number') return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
    if (type === 'boolean') {
      const t = v.trim().toLowerCase();
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : undefined;
    }
    return v;
  }
  switch (type) {
    case 'string':
    case 'text':
      return typeof v === 'string' ? v : undefined;
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
  }
}

/** CSV cells holding a JSON array (e.g. `["a","b"]` for choices) become arrays. */
function jsonArrayCell(v: unknown): unknown {
  if (typeof v !== 'string' || !v.startsWith('[')) return v;
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : v;
  } catch {
    return v;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 40 ? `${s.slice(0, 40)}…` : s}`;
}
