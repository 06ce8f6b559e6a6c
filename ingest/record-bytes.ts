import type { CanonicalRecord } from '../core/types.ts';

/** Bytes a few fixed fields, the object and its hidden class take, roughly (V8, 64-bit). */
const RECORD_OVERHEAD = 240;
const ENTRY_OVERHEAD = 48;

/**
 * An estimate of the memory a parsed record holds (strings at 2 bytes a character, the worst case),
 * to bound what an import keeps between its passes by bytes rather than by a count of records.
 */
export function recordBytes(r: CanonicalRecord): number {
  let n = RECORD_OVERHEAD;
  for (const v of [
    r.benchmark,
    r.model,
    r.run,
    r.item_id,
    r.input,
    r.response,
    r.answer,
    r.reference,
    r.error,
  ])
    if (typeof v === 'string') n += 2 * v.length;
  for (const [k, v] of Object.entries(r.metadata))
    n += ENTRY_OVERHEAD + 2 * k.length + (typeof v === 'string' ? 2 * v.length : 0);
  return n;
}
