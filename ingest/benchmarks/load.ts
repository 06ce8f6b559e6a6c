import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { toItems } from './items.ts';
import { type RawItems, readItemsFile } from './items-file.ts';
import {
  type BenchmarkDef,
  BenchmarkError,
  type BenchmarkProblem,
  type BenchmarkYaml,
  BenchmarkYamlSchema,
  ITEM_FILES,
} from './types.ts';

export { promptVersion, renderPrompt, templateSlots } from './render.ts';

/** The bundled benchmarks: <project>/benchmarks. */
export const DEFAULT_BENCHMARKS_ROOT = fileURLToPath(new URL('../../benchmarks/', import.meta.url));
const DEF_FILE = 'benchmark.yaml';

/** A slug names a folder under `root`; anything with a path separator (or an existing folder) is a path. */
export function resolveBenchmarkDir(slugOrPath: string, root = DEFAULT_BENCHMARKS_ROOT): string {
  const p = slugOrPath.endsWith(DEF_FILE) ? slugOrPath.slice(0, -DEF_FILE.length) || '.' : slugOrPath;
  if (isAbsolute(p) || p.includes('/') || p.startsWith('.')) return resolve(p);
  return resolve(root, p);
}

/** Loads and validates a benchmark; throws a BenchmarkError listing every problem. */
export async function loadBenchmark(
  slugOrPath: string,
  root = DEFAULT_BENCHMARKS_ROOT,
): Promise<BenchmarkDef> {
  const dir = resolveBenchmarkDir(slugOrPath, root);
  const { def, problems } = await validateBenchmark(dir);
  if (!def || problems.length > 0) {
    if (problems.length === 0)
      throw new BenchmarkError(dir, [{ file: DEF_FILE, message: 'could not be loaded' }]);
    throw new BenchmarkError(dir, problems);
  }
  return def;
}

export interface BenchmarkValidation {
  /** The definition when there were no problems with benchmark.yaml (items may still have problems). */
  def: BenchmarkDef | null;
  problems: BenchmarkProblem[];
}

/** Checks a benchmark folder and returns every problem found (empty: valid). Never throws for bad content. */
export async function validateBenchmark(dir: string): Promise<BenchmarkValidation> {
  const yamlPath = join(dir, DEF_FILE);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    return { def: null, problems: [{ file: dir, message: 'no such benchmark folder' }] };
  if (!existsSync(yamlPath))
    return { def: null, problems: [{ file: DEF_FILE, message: `missing in ${dir}` }] };

  const doc = parseDocument(await readFile(yamlPath, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0)
    return {
      def: null,
      problems: doc.errors.map((e) => ({
        file: DEF_FILE,
        ...(e.linePos?.[0] ? { line: e.linePos[0].line } : {}),
        message: e.message.split('\n')[0]!,
      })),
    };
  const parsed = BenchmarkYamlSchema.safeParse(doc.toJS());
  if (!parsed.success) return { def: null, problems: parsed.error.issues.map(yamlProblem) };
  const y: BenchmarkYaml = parsed.data;

  const itemsFile = y.items ?? ITEM_FILES.find((f) => existsSync(join(dir, f)));
  if (!itemsFile || !existsSync(join(dir, itemsFile)))
    return {
      def: null,
      problems: [
        {
          file: itemsFile ?? 'items',
          message: `no items file in ${dir}; expected one of ${ITEM_FILES.join(', ')}`,
        },
      ],
    };
  const raw: RawItems = await readItemsFile(join(dir, itemsFile));
  const { items, problems } = toItems(y, raw, itemsFile);

  const def: BenchmarkDef = {
    slug: y.slug,
    version: y.version,
    task: y.task,
    description: y.description,
    attribution: y.attribution,
    metadata: y.metadata,
    ...(y.cluster !== undefined ? { cluster: y.cluster } : {}),
    template:
      y.template.system === undefined
        ? { user: y.template.user }
        : { system: y.template.system, user: y.template.user },
    scorer: y.scorer,
    items,
    dir: resolve(dir),
  };
  return { def, problems: [...raw.problems, ...problems] };
}

function yamlProblem(issue: z.core.$ZodIssue): BenchmarkProblem {
  const field = issue.path.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys')
    message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return { file: DEF_FILE, ...(field ? { field } : {}), message };
}

export interface BenchmarkListing {
  slug: string;
  dir: string;
  /** null when the benchmark has problems; see `problems`. */
  def: BenchmarkDef | null;
  problems: BenchmarkProblem[];
}

/** Every folder under `root` holding a benchmark.yaml, loaded and validated, sorted by folder name. */
export async function listBenchmarks(root = DEFAULT_BENCHMARKS_ROOT): Promise<BenchmarkListing[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, DEF_FILE)))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    dirs.map(async (name) => {
      const dir = resolve(root, name);
      const { def, problems } = await validateBenchmark(dir);
      return { slug: def?.slug ?? name, dir, def: problems.length === 0 ? def : null, problems };
    }),
  );
}
