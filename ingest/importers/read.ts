/**
 * File reading shared by the importers: transparent gunzip, streamed lines, the head of a
 * file for format detection, and a JSON parser that accepts Python's bare NaN/Infinity.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { constants, createGunzip, gunzipSync } from 'node:zlib';

export const isGzip = (path: string): boolean => path.toLowerCase().endsWith('.gz');

/** The path without a trailing `.gz`, so `x.jsonl.gz` is recognised as `.jsonl`. */
export const withoutGz = (path: string): string => (isGzip(path) ? path.slice(0, -3) : path);

/** A byte stream of the file's content, gunzipped when the name ends in `.gz`. */
export function openContent(path: string): Readable {
  const raw = createReadStream(path);
  if (!isGzip(path)) return raw;
  const gunzip = createGunzip();
  // pipe() does not forward errors; a missing file must fail the consumer, not hang it.
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** Lines of a (possibly gzipped) text file with their 1-based numbers; streams, so 1M+ lines are fine. */
export async function* readLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const rl = createInterface({ input: openContent(path), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of rl) {
    line++;
    yield { line, text };
  }
}

/** Up to `bytes` bytes of the file's (decompressed) content as text, for cheap format checks. */
export async function readHead(path: string, bytes = 64 * 1024): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const head = buf.subarray(0, bytesRead);
    if (!isGzip(path)) return head.toString('utf8');
    // A truncated gzip member cannot be finished; flush what inflated so far.
    try {
      return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      return '';
    }
  } finally {
    await fh.close();
  }
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
