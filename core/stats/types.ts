/** What a test returns instead of a number when the number would be meaningless (n too small, no variance). */
export type Untestable = { readonly testable: false; readonly reason: string };

/** A 0/1 outcome as stored: 1/0, true/false, or null/undefined for unscored or missing. */
export type Binary = 0 | 1 | boolean | null | undefined;

export function untestable(reason: string): Untestable {
  return { testable: false, reason };
}

/** 1, 0 or null for a Binary; throws on anything else so that a score of 0.5 is never read as a pass. */
export function toBit(v: Binary | number): 0 | 1 | null {
  if (v === null || v === undefined) return null;
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  throw new RangeError(`expected 0/1/true/false/null, got ${String(v)}`);
}

export function assertCount(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
}
