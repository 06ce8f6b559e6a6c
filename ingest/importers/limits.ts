/**
 * What one import may cost, so that a small upload cannot take the server's memory, disk or a
 * core for minutes (decompression and size bombs). Every bound is checked while streaming and
 * refused with a coded 413 naming its setting (errors.importLimit); nothing is cut silently.
 */
import { errors } from '../../core/errors.ts';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits, LIMIT_SETTINGS } from '../../core/import-limits.ts';
import type { CanonicalRecord } from '../../core/types.ts';

export { DEFAULT_IMPORT_LIMITS, type ImportLimits, LIMIT_SETTINGS };

export const limitsOf = (options: { limits?: ImportLimits | undefined }): ImportLimits =>
  options.limits ?? DEFAULT_IMPORT_LIMITS;

/** The 413 for `value` over limit `key`; `what` says which part of `file` (e.g. "line 3"). */
export function limitExceeded(
  limits: ImportLimits,
  key: keyof ImportLimits,
  file: string,
  what: string,
  value: number,
) {
  return errors.importLimit(LIMIT_SETTINGS[key], limits[key], file, what, value);
}

const TEXT_FIELDS = ['input', 'response', 'answer', 'reference', 'error'] as const;

/** Throws the 413 when a text field or metadata string of `record` is over maxFieldBytes. */
export function checkFieldSizes(
  record: CanonicalRecord,
  limits: ImportLimits,
  file: string,
  line: number,
): void {
  const max = limits.maxFieldBytes;
  const check = (name: string, v: unknown) => {
    // A string of n UTF-16 units has at most 3n UTF-8 bytes: most fields need no counting.
    if (typeof v !== 'string' || v.length * 3 <= max) return;
    const bytes = Buffer.byteLength(v, 'utf8');
    if (bytes > max)
      throw limitExceeded(
        limits,
        'maxFieldBytes',
        file,
        `line ${line}: ${name} has ${bytes} bytes, which`,
        bytes,
      );
  };
  for (const f of TEXT_FIELDS) check(f, record[f]);
  for (const [k, v] of Object.entries(record.metadata)) check(`metadata.${k}`, v);
}
