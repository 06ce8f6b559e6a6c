import {
  type FieldType,
  MAX_GROUP_VALUE_LEN,
  MAX_META_COLS,
  type MetadataField,
  type MetaValue,
} from '../core/types.ts';

/**
 * A value's field type as a small code (the bulk path's staged `t<j>` columns): index into this list;
 * 0 is a null value, which says nothing about the type.
 */
export const FIELD_TYPE_CODES = [null, 'boolean', 'integer', 'number', 'string', 'text'] as const;

/** The type a field's values need together, from the codes its values have (inferType folded with widen). */
export function typeOfCodes(codes: Iterable<number>): FieldType | null {
  let t: FieldType | null = null;
  for (const c of codes) {
    const u = FIELD_TYPE_CODES[c] ?? null;
    if (u !== null) t = t === null ? u : widen(t, u);
  }
  return t;
}

/** The narrowest field type that holds this value (null says nothing). */
export function inferType(value: MetaValue): FieldType | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return value.length > MAX_GROUP_VALUE_LEN ? 'text' : 'string';
}

/**
 * Why a field cannot be a level or a filter, or null when it can. Its values are kept either way (in
 * each item's metadata); only fields with a positional column m0..m15 and short values group.
 */
export function notGroupableReason(f: Pick<MetadataField, 'col' | 'type'>): string | null {
  if (f.type === 'text') return `it has text values over ${MAX_GROUP_VALUE_LEN} characters`;
  if (f.col === null)
    return `it is beyond the ${MAX_META_COLS} groupable fields a benchmark has (the first ${MAX_META_COLS} fields registered)`;
  return null;
}

/** The type that holds values of both types. */
export function widen(a: FieldType, b: FieldType): FieldType {
  if (a === b) return a;
  if (a === 'text' || b === 'text') return 'text';
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  return 'string';
}

/** Metadata is stored as text in positional columns; this is the stored form. */
export function encodeValue(value: MetaValue): string | null {
  if (value === null) return null;
  const s = typeof value === 'string' ? value : String(value);
  return s.length > MAX_GROUP_VALUE_LEN ? s.slice(0, MAX_GROUP_VALUE_LEN) : s;
}

/** Back from the stored text to the field's type, for answers. */
export function decodeValue(stored: string | null, type: FieldType): MetaValue {
  if (stored === null) return null;
  switch (type) {
    case 'integer':
    case 'number': {
      const n = Number(stored);
      return Number.isFinite(n) ? n : stored;
    }
    case 'boolean':
      return stored === 'true' ? true : stored === 'false' ? false : stored;
    case 'string':
    case 'text':
      return stored;
    default: {
      const never: never = type;
      return never;
    }
  }
}

export { compareValues } from '../core/compare-values.ts';
