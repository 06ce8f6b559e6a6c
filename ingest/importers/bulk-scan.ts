/**
 * One streamed pass over a canonical CSV or JSONL file before DuckDB reads it itself (the bulk path,
 * ingest/importers/canonical-bulk.ts): it says whether the file is plain enough that DuckDB's reader and
 * ours (csv-rows.ts) must read the same rows, counts those rows, and gunzips a `.gz` into a plain copy
 * DuckDB can read in parallel. Plain: LF or CRLF line ends, quotes only around whole cells, no NUL byte,
 * no BOM, an unquoted header, every record within maxRecordBytes. Anything else is left to the record
 * path, which reads it exactly (and words any error).
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ImportLimits } from './limits.ts';
import { isGzip, openContent } from './read.ts';

export type BulkScan =
  | {
      plain: true;
      /** The header's cells. */
      header: string[];
      /** Data rows (non-blank records after the header). */
      rows: number;
      /** Bytes of the longest record: DuckDB's line buffers are sized by it, not by the limit. */
      longest: number;
      /** What DuckDB should read: the file itself, or its gunzipped copy. */
      path: string;
    }
  | { plain: false; why: string };

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The gunzipped copy's stream, with an error listener: a write still pending when the scan gives up
 * (a truncated gzip) fails on the destroyed stream, and an 'error' nobody listens to ends the process.
 */
function quietCopy(path: string): WriteStream {
  const copy = createWriteStream(path);
  copy.on('error', () => undefined); // the scan reads the outcome from 'finish' / 'drain', or gave up
  return copy;
}

/** One syntax's scan: fed each chunk (a reason to give up, or null), then asked for its outcome. */
interface Scanner {
  chunk(chunk: Buffer): string | null;
  end(): { why: string } | { header: string[]; rows: number; longest: number };
}

/**
 * The pass both syntaxes share: streams the content of `path` (gunzipped when it ends in `.gz`, the copy
 * written to `copyPath`), refuses a BOM and NUL bytes, and feeds the scanner. Never throws on the file's
 * content: an unreadable or oversized file is `plain: false`, and the record path reports it.
 */
async function scanFile(
  path: string,
  limits: ImportLimits,
  copyPath: string,
  scanner: Scanner,
): Promise<BulkScan> {
  const gz = isGzip(path);
  let copy: WriteStream | null = null;
  let first = true;
  const fail = (why: string): BulkScan => ({ plain: false, why });
  const input = openContent(path, { limits });
  try {
    if (gz) copy = quietCopy(copyPath);
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (copy && !copy.write(chunk)) await once(copy, 'drain');
      if (first) {
        first = false;
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf)
          return fail('a byte order mark');
      }
      if (chunk.indexOf(0) !== -1) return fail('a NUL byte');
      const why = scanner.chunk(chunk);
      if (why) return fail(why);
    }
    const out = scanner.end();
    if ('why' in out) return fail(out.why);
    if (copy) {
      copy.end();
      await once(copy, 'finish'); // (rejects with the copy's write error)
    }
    return { plain: true, ...out, path: gz ? copyPath : path };
  } catch (err) {
    // a broken gzip, a file over maxBytes, a missing file: the record path raises the coded error
    return fail(`unreadable: ${(err as Error).message}`);
  } finally {
    input.destroy();
    if (copy && !copy.closed) copy.destroy();
  }
}

/** The CSV scan (see the module's note); the gunzipped copy goes to `scratchDir`. */
export function scanCsv(path: string, limits: ImportLimits, scratchDir: string): Promise<BulkScan> {
  const maxRecord = limits.maxRecordBytes;
  // scanner state, carried across chunks
  let inQuote = false;
  let afterQuote = false; // the last byte was a quote inside a quoted cell: closing or doubled
  let pendingCr = false; // the last byte was a CR outside quotes: a LF must follow
  let prev = LF; // the last byte outside quotes (LF: a record starts)
  let content = false; // the current record has a byte other than CR
  let recBytes = 0;
  let longest = 0;
  let records = 0;
  let headerBytes: Buffer[] | null = [];
  let header: string[] | null = null;
  return scanFile(path, limits, join(scratchDir, 'bulk.csv'), {
    chunk(chunk) {
      const n = chunk.length;
      let i = 0;
      if (pendingCr) {
        if (chunk[0] !== LF) return 'a CR not followed by LF';
        pendingCr = false;
      }
      let nextQuote = chunk.indexOf(QUOTE);
      let nextCr = chunk.indexOf(CR);
      while (i < n) {
        if (inQuote) {
          if (afterQuote) {
            afterQuote = false;
            if (chunk[i] === QUOTE) {
              i++; // a doubled quote: still inside
              recBytes++;
              continue;
            }
            inQuote = false;
            const b = chunk[i];
            if (b !== COMMA && b !== LF && b !== CR) return 'a closing quote inside a cell';
            continue;
          }
          const q = chunk.indexOf(QUOTE, i);
          if (q === -1) {
            recBytes += n - i;
            i = n;
            break;
          }
          recBytes += q - i + 1;
          i = q + 1;
          afterQuote = true;
          continue;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
        const lf = chunk.indexOf(LF, i);
        const end = lf === -1 ? n : lf;
        const stop = Math.min(end, nextQuote === -1 ? n : nextQuote, nextCr === -1 ? n : nextCr);
        if (stop > i) {
          content = true;
          prev = chunk[stop - 1]!;
        }
        recBytes += stop - i;
        if (headerBytes && stop > i) headerBytes.push(chunk.subarray(i, stop));
        if (stop === n) {
          i = n;
          break;
        }
        const b = chunk[stop];
        if (b === QUOTE) {
          if (headerBytes) return 'a quoted header';
          if (prev !== COMMA && prev !== LF) return 'a quote inside a cell';
          inQuote = true;
          content = true;
          recBytes++;
          i = stop + 1;
          continue;
        }
        if (b === CR) {
          if (stop + 1 === n) pendingCr = true;
          else if (chunk[stop + 1] !== LF) return 'a CR not followed by LF';
          recBytes++;
          i = stop + 1;
          continue;
        }
        // LF outside quotes: a record ends (blank records are skipped by both readers)
        if (recBytes > maxRecord) return 'a record over maxRecordBytes';
        if (recBytes > longest) longest = recBytes;
        if (headerBytes) {
          header = Buffer.concat(headerBytes).toString('utf8').split(',');
          headerBytes = null;
        } else if (content) records++;
        content = false;
        recBytes = 0;
        prev = LF;
        i = stop + 1;
      }
      return null;
    },
    end() {
      if (inQuote && !afterQuote) return { why: 'an unclosed quote' };
      if (pendingCr) return { why: 'a CR at the end' };
      if (recBytes > maxRecord) return { why: 'a record over maxRecordBytes' };
      if (recBytes > longest) longest = recBytes;
      if (headerBytes) {
        if (!content) return { why: 'no header' };
        header = Buffer.concat(headerBytes).toString('utf8').split(',');
        headerBytes = null;
      } else if (content) records++;
      return { header: header ?? [], rows: records, longest };
    },
  });
}

/**
 * The JSONL scan: lines with something other than spaces, tabs and CR (what both readers skip), each
 * within maxRecordBytes; no NUL byte, no BOM (JSON.parse refuses a BOM, DuckDB skips it).
 */
export function scanJsonl(path: string, limits: ImportLimits, scratchDir: string): Promise<BulkScan> {
  const max = limits.maxRecordBytes;
  let lineBytes = 0;
  let longest = 0;
  let content = false;
  let rows = 0;
  return scanFile(path, limits, join(scratchDir, 'bulk.jsonl'), {
    chunk(chunk) {
      let i = 0;
      while (i < chunk.length) {
        const lf = chunk.indexOf(LF, i);
        const end = lf === -1 ? chunk.length : lf;
        if (!content)
          for (let k = i; k < end; k++) {
            const b = chunk[k];
            if (b !== SPACE && b !== TAB && b !== CR) {
              content = true;
              break;
            }
          }
        lineBytes += end - i;
        if (lineBytes > max) return 'a line over maxRecordBytes';
        if (lf === -1) break;
        if (lineBytes > longest) longest = lineBytes;
        if (content) rows++;
        content = false;
        lineBytes = 0;
        i = lf + 1;
      }
      return null;
    },
    end() {
      if (content) rows++;
      if (lineBytes > longest) longest = lineBytes;
      return { header: [], rows, longest };
    },
  });
}
