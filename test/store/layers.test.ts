import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The repository-relative files a module imports (relative specifiers only: packages are not parts). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

describe('the store owns storage', () => {
  it('no module under store/ imports from ingest/, api/ or cli/', () => {
    const files = readdirSync(join(ROOT, 'store'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(ROOT, 'store', f));
    expect(files.length).toBeGreaterThan(10);
    const wrong = files.flatMap((f) =>
      importsOf(f)
        .filter((to) => /^(ingest|api|cli)\//.test(to))
        .map((to) => `${relative(ROOT, f)} -> ${to}`),
    );
    expect(wrong).toEqual([]);
  });
});
