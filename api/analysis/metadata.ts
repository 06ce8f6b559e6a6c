import type { MetadataField, MetaValue } from '../../core/types.ts';
import { metaTable } from '../../store/duckdb/meta-tables.ts';
import { compareValues, decodeValue, notGroupableReason } from '../../store/field-types.ts';
import { type BenchView, groupable } from './catalog-view.ts';

export const VALUE_CAP = 200;

export interface FieldValues {
  name: string;
  type: string;
  label: string;
  groupable: boolean;
  /** Why the field is not groupable (absent when it is). */
  reason?: string;
  distinct: number | null;
  nulls: number | null;
  values: { value: MetaValue; count: number }[];
  capped: boolean;
}

type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * Values and item counts of a field over the benchmark's items, optionally restricted to items
 * where other fields are non-null (and within chosen values).
 * WARNING: only generated identifiers reach the SQL: meta_<id>, f<col>; values are bound.
 */
export async function fieldValues(
  query: Query,
  b: BenchView,
  f: MetadataField,
  where: { field: MetadataField; values?: string[] }[] = [],
): Promise<FieldValues> {
  const reason = notGroupableReason(f);
  if (reason) {
    return {
      name: f.name,
      type: f.type,
      label: f.label,
      groupable: false,
      reason,
      distinct: null,
      nulls: null,
      values: [],
      capped: false,
    };
  }
  const conds: string[] = [];
  const params: unknown[] = [];
  for (const w of where) {
    conds.push(`f${Math.trunc(w.field.col!)} IS NOT NULL`);
    if (w.values?.length) {
      conds.push(`CAST(f${Math.trunc(w.field.col!)} AS VARCHAR) IN (${w.values.map(() => '?').join(', ')})`);
      params.push(...w.values);
    }
  }
  const c = `f${Math.trunc(f.col!)}`;
  const rows = await query<{ v: string | null; n: number }>(
    `SELECT CAST(${c} AS VARCHAR) AS v, count(*) AS n FROM ${metaTable(b.id)} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} GROUP BY 1`,
    params,
  );
  const nulls = Number(rows.find((r) => r.v === null)?.n ?? 0);
  const values = rows
    .filter((r) => r.v !== null)
    .map((r) => ({ value: decodeValue(r.v, f.type), count: Number(r.n) }))
    .sort((x, y) => y.count - x.count || compareValues(x.value, y.value));
  return {
    name: f.name,
    type: f.type,
    label: f.label,
    groupable: true,
    distinct: values.length,
    nulls,
    values: values.slice(0, VALUE_CAP).sort((x, y) => compareValues(x.value, y.value)),
    capped: values.length > VALUE_CAP,
  };
}

export async function allFieldValues(query: Query, b: BenchView): Promise<FieldValues[]> {
  const out: FieldValues[] = [];
  for (const f of b.fields) out.push(await fieldValues(query, b, f));
  return out;
}

/** Fields usable at the next level: groupable, not already chosen, with a non-null value on some chosen item. */
export async function nextLevelOptions(
  query: Query,
  b: BenchView,
  chosen: { field: MetadataField; values?: string[] }[],
): Promise<FieldValues[]> {
  const taken = new Set(chosen.map((c) => c.field.name));
  const out: FieldValues[] = [];
  for (const f of groupable(b)) {
    if (taken.has(f.name)) continue;
    const v = await fieldValues(query, b, f, chosen);
    if (v.distinct && v.distinct > 0) out.push(v);
  }
  return out;
}
