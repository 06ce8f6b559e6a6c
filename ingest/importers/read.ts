/**
 * File reading shared by the importers: transparent gunzip, streamed lines, whole JSON documents,
 * the head of a file for format detection, and a JSON parser that accepts Python's bare
 * NaN/Infinity. Every stream is joined with pipeline(), so a broken gzip fails the reader (as a
 * coded CORRUPT_FILE) instead of raising an unhandled 'error' that ends the process; every read
 * is bounded by the import limits while it streams.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError, errors } from '../../core/errors.ts';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits, limitExceeded } from './limits.ts';

export const isGzip = (path: string): boolean => path.toLowerCase().endsWith('.gz');

/** The path without a trailing `.gz`, so `x.jsonl.gz` is recognised as `.jsonl`. */
export const withoutGz = (path: string): string => (isGzip(path) ? path.slice(0, -3) : path);

/** Which file a message names, and the bounds of the read. */
export interface ReadContext {
  file: string;
  limits: ImportLimits;
}

const contextOf = (path: string, ctx?: Partial<ReadContext>): ReadContext => ({
  file: ctx?.file ?? basename(path),
  limits: ctx?.limits ?? DEFAULT_IMPORT_LIMITS,
});

/** Passes bytes on until more than maxBytes went through, then fails the stream with the 413. */
function byteBudget({ file, limits }: ReadContext): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limits.maxBytes)
        done(
          limitExceeded(
            limits,
            'maxBytes',
            file,
            `the decompressed content (more than ${limits.maxBytes} bytes)`,
            seen,
          ),
        );
      else done(null, chunk);
    },
  });
}

/**
 * A byte stream of the file's content, gunzipped when the name ends in `.gz`, failing once it
 * passes maxBytes. Errors of any stage (missing file, broken gzip) reach the consumer.
 */
export function openContent(path: string, ctx?: Partial<ReadContext>): Readable {
  const c = contextOf(path, ctx);
  const stages = isGzip(path)
    ? [createReadStream(path), createGunzip(), byteBudget(c)]
    : [createReadStream(path), byteBudget(c)];
  // The callback only keeps pipeline from throwing; the error itself destroys the last stage, whose reader sees it.
  return pipeline(stages, () => {}) as unknown as Readable;
}

/** A read error as the caller's problem: a broken gzip is CORRUPT_FILE naming the file; coded errors pass. */
export function asFileError(err: unknown, file: string): unknown {
  if (err instanceof AppError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    const hint = e.code === 'Z_BUF_ERROR' ? ' (the file is truncated)' : '';
    return errors.corruptFile(file, `not a readable gzip file: ${e.message}${hint}`);
  }
  return err;
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * Lines of a (possibly gzipped) text file with their 1-based numbers, streamed. Unlike readline,
 * a line is never buffered past maxRecordBytes: the read stops with the 413 as soon as a line
 * grows beyond it (a 1 GB line is a memory bomb). `\n` and `\r\n` end lines.
 */
export async function* readLines(
  path: string,
  ctx?: Partial<ReadContext>,
): AsyncGenerator<{ line: number; text: string }> {
  const c = contextOf(path, ctx);
  const max = c.limits.maxRecordBytes;
  const input = openContent(path, c);
  const tooLong = (line: number, bytes: number) =>
    limitExceeded(c.limits, 'maxRecordBytes', c.file, `line ${line} (more than ${max} bytes)`, bytes);
  const decode = (b: Buffer) =>
    (b.length > 0 && b[b.length - 1] === CR ? b.subarray(0, -1) : b).toString('utf8');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(NL); nl !== -1; nl = chunk.indexOf(NL, start)) {
        const piece = chunk.subarray(start, nl);
        if (pendingBytes + piece.length > max) throw tooLong(line + 1, pendingBytes + piece.length);
        const whole = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        yield { line: ++line, text: decode(whole) };
      }
      if (start < chunk.length) {
        pendingBytes += chunk.length - start;
        if (pendingBytes > max) throw tooLong(line + 1, pendingBytes);
        pending.push(chunk.subarray(start));
      }
    }
    if (pendingBytes > 0) yield { line: ++line, text: decode(Buffer.concat(pending)) };
  } catch (err) {
    throw asFileError(err, c.file);
  } finally {
    input.destroy();
  }
}

/** The whole (decompressed) file as text, for formats that are one JSON document; at most maxRecordBytes. */
export async function readText(path: string, ctx?: Partial<ReadContext>): Promise<string> {
  const c = contextOf(path, ctx);
  const max = c.limits.maxRecordBytes;
  const input = openContent(path, c);
  const parts: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > max)
        throw limitExceeded(
          c.limits,
          'maxRecordBytes',
          c.file,
          `the JSON document (more than ${max} bytes)`,
          bytes,
        );
      parts.push(chunk);
    }
  } catch (err) {
    throw asFileError(err, c.file);
  } finally {
    input.destroy();
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A whole-file JSON document, or CORRUPT_FILE saying where it breaks. */
export async function readJsonDocument(
  path: string,
  ctx?: Partial<ReadContext>,
  parse: (text: string) => unknown = JSON.parse,
): Promise<unknown> {
  const c = contextOf(path, ctx);
  const text = await readText(path, c);
  try {
    return parse(text);
  } catch (err) {
    throw errors.corruptFile(c.file, `invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * Up to `bytes` bytes of the file's (decompressed) content as text, for cheap format checks.
 * Inflates no more than that (a small gzip may hold gigabytes); a broken gzip gives what inflated.
 */
export async function readHead(path: string, bytes = 64 * 1024): Promise<string> {
  const input = openContent(path, {
    limits: { ...DEFAULT_IMPORT_LIMITS, maxBytes: Number.POSITIVE_INFINITY },
  });
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      parts.push(chunk);
      got += chunk.length;
      if (got >= bytes) break;
    }
  } catch {
    // a truncated or corrupt file: detection looks at what could be read; the importer reports the problem
  } finally {
    input.destroy();
  }
  return Buffer.concat(parts).subarray(0, bytes).toString('utf8');
}

// A JSON string literal, or a bare Python non-finite number outside any string.
const NON_FINITE = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;

/**
 * JSON.parse that also reads Python's `json.dumps` output with bare `NaN` / `Infinity`
 * (lm-eval writes them). Those become null: they are not storable numbers.
 */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const fixed = text.replace(NON_FINITE, (m) => (m.startsWith('"') ? m : 'null'));
    if (fixed === text) throw err;
    return JSON.parse(fixed);
  }
}

/** A scalar metadata value, or undefined for objects/arrays (which are not groupable). */
export function asScalar(v: unknown): string | number | boolean | null | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return undefined;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
