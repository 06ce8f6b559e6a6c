/**
 * Zip archives (Inspect `.eval`, zipped lm-eval output) read entry by entry from the file, never
 * unzipped whole in memory. yauzl reads the central directory and inflates one entry at a time
 * from the file (random access, so entries can be read in any order and more than once); it also
 * rejects absolute and `..` entry names. Every entry's decompressed bytes are counted while
 * inflating (the sizes a header declares are not trusted): one entry is bounded by
 * maxZipEntryBytes (or, when streamed to disk, by maxBytes), all entries together by maxBytes.
 */
import { createWriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { AppError, errors } from '../../core/errors.ts';
import { type ImportLimits, limitExceeded } from './limits.ts';
import type { ReadContext } from './read.ts';

export interface ZipArchive {
  /** Entry names (files only, not folders), in the archive's order. */
  names: string[];
  /** One entry's content, at most maxZipEntryBytes; null when the archive has no such entry. */
  read(name: string): Promise<Buffer | null>;
  /** Streams one entry into a file, at most maxBytes (for entries too large to hold, e.g. lm-eval samples). */
  extract(name: string, dest: string): Promise<void>;
  close(): void;
}

/** True when the file starts with a zip local-file header, whatever its name. */
export async function isZipFile(path: string): Promise<boolean> {
  const fh = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    return bytesRead === 4 && buf.readUInt32LE(0) === 0x04034b50;
  } finally {
    await fh.close();
  }
}

const corrupt = (file: string, err: unknown) =>
  err instanceof AppError
    ? err
    : errors.corruptFile(file, `not a readable zip file: ${(err as Error).message}`);

/** Opens the archive and lists its entries (the central directory only), bounded by maxZipEntries. */
export async function openZip(path: string, { file, limits }: ReadContext): Promise<ZipArchive> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (err) {
    throw corrupt(file, err);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    if (zip.entryCount > limits.maxZipEntries)
      throw limitExceeded(
        limits,
        'maxZipEntries',
        file,
        `the zip's ${zip.entryCount} entries`,
        zip.entryCount,
      );
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        if (!e.fileName.endsWith('/')) entries.set(e.fileName, e);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw corrupt(file, err);
  }
  let total = 0; // decompressed bytes of every entry read so far, against maxBytes

  /** The entry's inflated bytes through a counter that fails past `max` (for `key`) or past maxBytes in all. */
  const open = async (name: string, key: keyof ImportLimits) => {
    const entry = entries.get(name);
    if (!entry) return null;
    const max = limits[key];
    const what = `zip entry ${name} (more than ${max} bytes decompressed)`;
    // A declared size over the limit is refused before inflating; a smaller one is not trusted.
    if (entry.uncompressedSize > max) throw limitExceeded(limits, key, file, what, entry.uncompressedSize);
    const stream = await zip.openReadStreamPromise(entry);
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        total += chunk.length;
        if (seen > max) done(limitExceeded(limits, key, file, what, seen));
        else if (total > limits.maxBytes)
          done(
            limitExceeded(
              limits,
              'maxBytes',
              file,
              `the zip's entries together (more than ${limits.maxBytes} bytes decompressed)`,
              total,
            ),
          );
        else done(null, chunk);
      },
    });
    return { stream, counter };
  };

  return {
    names: [...entries.keys()],
    async read(name) {
      const parts: Buffer[] = [];
      try {
        const s = await open(name, 'maxZipEntryBytes');
        if (!s) return null;
        await pipeline(s.stream, s.counter, async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) parts.push(chunk);
        });
      } catch (err) {
        throw corrupt(file, err);
      }
      return Buffer.concat(parts);
    },
    async extract(name, dest) {
      try {
        const s = await open(name, 'maxBytes');
        if (!s) throw errors.corruptFile(file, `no entry ${name}`);
        await pipeline(s.stream, s.counter, createWriteStream(dest));
      } catch (err) {
        throw corrupt(file, err);
      }
    },
    close: () => zip.close(),
  };
}

/** An entry parsed as JSON; null when absent; CORRUPT_FILE naming the entry when it is not JSON. */
export async function readZipJson(
  zip: ZipArchive,
  name: string,
  file: string,
  parse: (text: string) => unknown = JSON.parse,
): Promise<unknown> {
  const buf = await zip.read(name);
  if (buf === null) return null;
  try {
    return parse(buf.toString('utf8'));
  } catch (err) {
    throw errors.corruptFile(file, `${name}: invalid JSON: ${(err as Error).message}`);
  }
}
