import type { MetaValue } from './types.ts';

/**
 * Sort order for group values of a field: numeric fields numerically, others as text, nulls last. A module of its
 * own (types only) so the dashboards' bundle, which orders chart rows with it, does not pull in zod.
 */
export function compareValues(a: MetaValue, b: MetaValue): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}
