import { errors } from '../../core/errors.ts';

/**
 * The Content-Types POST /imports reads, and the file extension each gives the upload (the importers and
 * format detection go by the file name). `null`: the name (or its default) decides.
 */
const TYPES: Record<string, { ext: string | null; keeps: RegExp }> = {
  'text/csv': { ext: '.csv', keeps: /\.csv$/i },
  'application/x-ndjson': { ext: '.jsonl', keeps: /\.(jsonl|ndjson)$/i },
  'application/jsonl': { ext: '.jsonl', keeps: /\.(jsonl|ndjson)$/i },
  // a JSON document: promptfoo export, Inspect JSON log, lm-eval results
  'application/json': { ext: '.json', keeps: /\.json$/i },
  // a gzip of a file the name's inner extension tells (default JSONL)
  'application/gzip': { ext: '.jsonl.gz', keeps: /\.gz$/i },
  'application/x-gzip': { ext: '.jsonl.gz', keeps: /\.gz$/i },
  // a zip: an Inspect .eval log
  'application/zip': { ext: '.eval', keeps: /\.eval$/i },
  'application/octet-stream': { ext: null, keeps: /./ },
};
export const UPLOAD_TYPES = Object.keys(TYPES);
const ENCODINGS = ['gzip', 'identity'];
const DEFAULT_NAME = 'results.jsonl';

/**
 * The temporary file's name for an upload: the Content-Type says what the body is, `?filename=` refines it
 * (results.csv.gz sent as application/gzip stays a gzipped CSV) and Content-Encoding: gzip adds `.gz`.
 * Other types and encodings are a 415 listing the accepted ones.
 */
export function fileNameFor(
  contentType: string | undefined,
  contentEncoding: string | undefined,
  hint: string | undefined,
): string {
  const type = (contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  const t = Object.hasOwn(TYPES, type) ? TYPES[type]! : null;
  if (!t) throw errors.unsupportedMediaType(`Content-Type ${JSON.stringify(type)}`, UPLOAD_TYPES);
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (!ENCODINGS.includes(encoding))
    throw errors.unsupportedMediaType(`Content-Encoding ${JSON.stringify(encoding)}`, ENCODINGS);
  let name = hint ?? (t.ext ? `results${t.ext}` : DEFAULT_NAME);
  // the type is checked against the name without .gz: results.csv.gz sent as text/csv is a gzipped CSV
  if (t.ext && !t.keeps.test(name) && !t.keeps.test(name.replace(/\.gz$/i, ''))) {
    // application/gzip with a hint naming the inner type (results.csv) keeps it: results.csv.gz
    name =
      t.ext === '.jsonl.gz' && /\.(csv|jsonl|ndjson|json)$/i.test(name) ? `${name}.gz` : `${name}${t.ext}`;
  }
  if (encoding === 'gzip' && !/\.gz$/i.test(name)) name = `${name}.gz`;
  return name;
}
