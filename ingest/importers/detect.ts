/**
 * Which importer reads a file: decided from its name and first bytes, most specific first
 * (lm-eval's file names, Inspect's `.eval`/log header, promptfoo's export header), the
 * canonical format last for any .jsonl/.csv. A zip is told by its entry names.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { errors } from '../../core/errors.ts';
import { canonicalImporter } from './canonical.ts';
import { inspectImporter } from './inspect.ts';
import { DEFAULT_IMPORT_LIMITS } from './limits.ts';
import { isSamplesName, lmEvalImporter } from './lm-eval.ts';
import { promptfooImporter } from './promptfoo.ts';
import { qwenMathImporter } from './qwen-math.ts';
import { isGzip as isGzipName, isObject, readHead, withoutGz } from './read.ts';
import type { Importer, ImportFormat } from './types.ts';
import { isZipFile, openZip } from './zip.ts';

export const importers: Record<ImportFormat, Importer> = {
  canonical: canonicalImporter,
  'lm-eval': lmEvalImporter,
  inspect: inspectImporter,
  promptfoo: promptfooImporter,
  'qwen-math': qwenMathImporter,
};

export const IMPORT_FORMATS = Object.keys(importers) as ImportFormat[];

/** Order of the checks; canonical goes last because it only looks at the extension. */
const DETECT_ORDER: ImportFormat[] = ['lm-eval', 'inspect', 'promptfoo', 'qwen-math', 'canonical'];
const HEAD_BYTES = 64 * 1024;

/** A small JSON document is parsed whole, which is surer than the header patterns. */
function detectByStructure(head: string): ImportFormat | null {
  let doc: unknown;
  try {
    doc = JSON.parse(head);
  } catch {
    return null;
  }
  if (!isObject(doc)) return null;
  if (isObject(doc.results) && Array.isArray(doc.results.results) && isObject(doc.config)) return 'promptfoo';
  if (isObject(doc.eval) && ('samples' in doc || 'results' in doc || 'status' in doc)) return 'inspect';
  return null;
}

/** A zip's format from its central directory (no entry is inflated): lm-eval output, else an Inspect log. */
async function detectZip(path: string): Promise<ImportFormat | null> {
  const zip = await openZip(path, { file: basename(path), limits: DEFAULT_IMPORT_LIMITS });
  try {
    if (zip.names.some(isSamplesName)) return 'lm-eval';
    if (zip.names.some((n) => n === 'header.json' || n === '_journal/start.json')) return 'inspect';
    return null;
  } finally {
    zip.close();
  }
}

export async function detectFormat(path: string): Promise<ImportFormat> {
  const lower = withoutGz(path).toLowerCase();
  if (lower.endsWith('.eval')) return 'inspect';
  if (!isGzipName(path) && (await isZipFile(path))) {
    const byEntries = await detectZip(path);
    if (byEntries) return byEntries;
  }
  const { size } = await stat(path);
  const head = await readHead(path, HEAD_BYTES);
  if (lower.endsWith('.json') && size <= HEAD_BYTES) {
    const byStructure = detectByStructure(head);
    if (byStructure) return byStructure;
  }
  for (const format of DETECT_ORDER) {
    if (importers[format].detect(path, head)) return format;
  }
  // an ordinary mistake (a 400 over HTTP, one line on the CLI), not a bug
  throw errors.badRequest(
    `cannot tell the format of ${basename(path)}; supported formats: ${IMPORT_FORMATS.join(', ')} ` +
      '(canonical = .jsonl/.csv, optionally .gz; lm-eval = samples_<task>_<ts>.jsonl, or a zip of an output folder; inspect = .eval or JSON log; promptfoo = -o results.json; qwen-math = Qwen2.5-Math eval output)',
  );
}

export function importerFor(format: string): Importer {
  if (Object.hasOwn(importers, format)) return importers[format as ImportFormat];
  throw new Error(`unknown import format "${format}"; valid formats: ${IMPORT_FORMATS.join(', ')}`);
}
