import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, type ErrorCode, errors } from './errors.ts';

/** Arguments for every factory; the mapped type makes a factory without a sample a type error. */
const SAMPLES: { [K in keyof typeof errors]: Parameters<(typeof errors)[K]> } = {
  badRequest: ['m'],
  unknownField: ['f', ['a']],
  notFound: ['run', '1', ['2']],
  tooLarge: ['m'],
  timeout: ['duckdb', 1],
  unavailable: ['m'],
  conflict: ['m'],
  invalidImport: ['m', {}],
  unknownItem: ['b', 'i'],
  notGroupable: ['f', 'r', ['a']],
  hostNotAllowed: ['h'],
  crossOrigin: ['POST', 'o'],
  simpleContentType: ['POST', 'text/plain'],
  duckdbLocked: ['/x', new Error('lock')],
  importLimit: ['S', 1, 'f', 'w', 2],
  corruptFile: ['f', 'p'],
  unsupportedMediaType: ['t', ['a']],
  importsBusy: [1, 5],
  uploadTooLarge: [1],
  validationFailed: ['body', [{ path: '/', message: 'm' }]],
  undetectedFormat: ['f', ['a'], '(hint)'],
  unknownFormat: ['x', ['a']],
  noRoute: ['GET', '/x'],
  unauthenticated: [],
  forbidden: ['m'],
  rateLimited: ['m', 1],
  internal: [],
};

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

describe('the error code table', () => {
  it('gives every code an HTTP error status', () => {
    for (const code of codes) {
      const status = ERROR_CODES[code];
      expect(Number.isInteger(status), code).toBe(true);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThanOrEqual(599);
    }
  });

  it('every factory makes an AppError whose code is in the table and whose status is the table’s', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(errors).sort());
    const made = new Set<string>();
    for (const [name, args] of Object.entries(SAMPLES)) {
      const err = (errors[name as keyof typeof errors] as (...a: unknown[]) => unknown)(...args);
      expect(err, name).toBeInstanceOf(AppError);
      const e = err as AppError;
      expect(Object.hasOwn(ERROR_CODES, e.code), `${name}: ${e.code}`).toBe(true);
      expect(e.statusCode, name).toBe(ERROR_CODES[e.code]);
      expect(e.message.length, name).toBeGreaterThan(0);
      made.add(e.code);
    }
    // a code no factory makes is a dead row (and the README would list an error nobody sends)
    expect(codes.filter((c) => !made.has(c))).toEqual([]);
  });

  it("is the README's Errors table, row for row", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('\n### Errors\n');
    expect(start, 'README has an "### Errors" section').toBeGreaterThan(0);
    const section = readme.slice(start + 1).split(/\n#{2,3} /)[0]!;
    const rows = [...section.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows.sort()).toEqual(Object.entries(ERROR_CODES).sort());
  });
});
