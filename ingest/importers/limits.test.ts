import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { importers } from './detect.ts';
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from './limits.ts';
import { readLines } from './read.ts';
import type { ImportFormat, ImportItem } from './types.ts';

const { dir, cleanup } = tmpDir('evalhouse-limits-');
afterAll(cleanup);

const write = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const limits = (over: Partial<ImportLimits>): ImportLimits => ({ ...DEFAULT_IMPORT_LIMITS, ...over });

/** Reads the file with one importer; resolves with what it read and the error it ended with. */
async function read(format: ImportFormat, path: string, l: Partial<ImportLimits>, model?: string) {
  const items: ImportItem[] = [];
  try {
    for await (const item of importers[format].read(path, { limits: limits(l), model })) items.push(item);
    return { items, error: null };
  } catch (error) {
    return {
      items,
      error: error as Error & { code?: string; statusCode?: number; details?: Record<string, unknown> },
    };
  }
}

const rec = (over: Record<string, unknown> = {}, i = 0) =>
  JSON.stringify({ benchmark: 'b', model: 'm', item_id: i, correct: true, ...over });

/** The 413 naming a setting, its limit, the file, and a value over the limit. */
function expectLimit(
  error: Awaited<ReturnType<typeof read>>['error'],
  setting: string,
  limit: number,
  file: string,
) {
  expect(error, 'the import must be refused').not.toBeNull();
  expect(error).toMatchObject({ code: 'IMPORT_LIMIT', statusCode: 413, details: { setting, limit, file } });
  expect(error?.message).toContain(`${setting} (${limit})`);
  expect(error?.message.startsWith(`${file}: `)).toBe(true);
  expect(Number(error?.details?.value)).toBeGreaterThan(limit);
}

describe('line reader', () => {
  it('stops a line at maxRecordBytes without reading the rest of it', async () => {
    const path = write('long-line.jsonl', `${rec()}\n${'x'.repeat(20 * 1024 ** 2)}\n${rec()}\n`);
    const lines: string[] = [];
    const err = await (async () => {
      for await (const l of readLines(path, { limits: limits({ maxRecordBytes: 1024 ** 2 }) }))
        lines.push(l.text);
    })().catch((e: Error & { details?: { value: number } }) => e);
    expect(lines).toEqual([rec()]);
    expect(err).toMatchObject({ code: 'IMPORT_LIMIT', details: { setting: 'IMPORT_MAX_RECORD_BYTES' } });
    expect((err as Error).message).toMatch(/long-line\.jsonl: line 2 /);
    // refused within one read chunk (64 KiB) past the limit, not after buffering the 20 MB line
    expect((err as { details: { value: number } }).details.value).toBeLessThanOrEqual(1024 ** 2 + 64 * 1024);
  });

  it('splits \\n and \\r\\n lines across chunk boundaries and keeps multi-byte characters whole', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `línea ${i} ${'é'.repeat(i % 50)}`);
    const path = write('lines.txt.gz', gzipSync(`${text.join('\r\n')}\n`));
    const got: string[] = [];
    for await (const l of readLines(path)) got.push(l.text);
    expect(got).toEqual(text);
  });
});

describe('decompressed bytes (maxBytes)', () => {
  it('refuses a gzip bomb of {} lines once its content passes maxBytes', async () => {
    const path = write('bomb.jsonl.gz', gzipSync('{}\n'.repeat(4 * 1024 ** 2)));
    const { error, items } = await read('canonical', path, { maxBytes: 1024 ** 2 });
    expectLimit(error, 'IMPORT_MAX_BYTES', 1024 ** 2, 'bomb.jsonl.gz');
    // it stopped near the limit: about 1 MiB / 3 bytes per line read, not 4M lines
    expect(items.length).toBeLessThan(400_000);
  });

  it('refuses CSV content past maxBytes', async () => {
    const body = `benchmark,model,item_id,correct\n${Array.from({ length: 50_000 }, (_, i) => `b,m,${i},1`).join('\n')}\n`;
    const { error } = await read('canonical', write('big.csv.gz', gzipSync(body)), { maxBytes: 100_000 });
    expectLimit(error, 'IMPORT_MAX_BYTES', 100_000, 'big.csv.gz');
  });
});

describe('record size (maxRecordBytes)', () => {
  it('canonical CSV: a record longer than the limit is refused, also when its cells are multi-byte', async () => {
    const ascii = write(
      'rec.csv',
      `benchmark,model,item_id,response\nb,m,1,ok\nb,m,2,"${'y'.repeat(5000)}"\n`,
    );
    expectLimit(
      (await read('canonical', ascii, { maxRecordBytes: 4000 })).error,
      'IMPORT_MAX_RECORD_BYTES',
      4000,
      'rec.csv',
    );
    // 1,500 characters but 3,000 bytes: the limit is in bytes
    const wide = write('wide.csv', `benchmark,model,item_id,response\nb,m,1,${'é'.repeat(1500)}\n`);
    expectLimit(
      (await read('canonical', wide, { maxRecordBytes: 2000 })).error,
      'IMPORT_MAX_RECORD_BYTES',
      2000,
      'wide.csv',
    );
  });

  it('JSON documents (Inspect log, promptfoo export) count as one record', async () => {
    const inspect = write(
      'log.json',
      JSON.stringify({ eval: { task: 't', model: 'm' }, samples: [{ id: 1, input: 'z'.repeat(10_000) }] }),
    );
    expectLimit(
      (await read('inspect', inspect, { maxRecordBytes: 5000 })).error,
      'IMPORT_MAX_RECORD_BYTES',
      5000,
      'log.json',
    );
    const pf = write(
      'pf.json',
      JSON.stringify({
        evalId: 'e',
        results: { results: [{ provider: 'p', response: { output: 'o'.repeat(10_000) } }] },
      }),
    );
    expectLimit(
      (await read('promptfoo', pf, { maxRecordBytes: 5000 })).error,
      'IMPORT_MAX_RECORD_BYTES',
      5000,
      'pf.json',
    );
  });

  it('lm-eval and qwen-math lines', async () => {
    const lm = write(
      'samples_t_2025-01-01T00-00-00.000000.jsonl',
      `${JSON.stringify({ doc_id: 1, doc: { q: 'w'.repeat(9000) } })}\n`,
    );
    expectLimit(
      (await read('lm-eval', lm, { maxRecordBytes: 8000 }, 'm')).error,
      'IMPORT_MAX_RECORD_BYTES',
      8000,
      'samples_t_2025-01-01T00-00-00.000000.jsonl',
    );
    const qm = write(
      'qm.jsonl',
      `${JSON.stringify({ idx: 1, gt: '1', pred: ['1'], score: [true], code: ['v'.repeat(9000)] })}\n`,
    );
    expectLimit(
      (await read('qwen-math', qm, { maxRecordBytes: 8000 })).error,
      'IMPORT_MAX_RECORD_BYTES',
      8000,
      'qm.jsonl',
    );
  });
});

describe('field size (maxFieldBytes)', () => {
  const max = 1000;
  it('canonical JSONL and CSV: each text field and metadata string, counted in UTF-8 bytes', async () => {
    for (const [over, field] of [
      [{ response: 'r'.repeat(max + 1) }, 'response'],
      [{ input: 'é'.repeat(600) }, 'input'], // 600 characters, 1,200 bytes
      [{ reference: 'f'.repeat(2000) }, 'reference'],
      [{ answer: 'a'.repeat(2000) }, 'answer'],
      [{ error: 'e'.repeat(2000), correct: null }, 'error'],
      [{ metadata: { note: 'n'.repeat(2000) } }, 'metadata.note'],
    ] as const) {
      const path = write('f.jsonl', `${rec()}\n${rec(over, 1)}\n`);
      const { error, items } = await read('canonical', path, { maxFieldBytes: max });
      expectLimit(error, 'IMPORT_MAX_FIELD_BYTES', max, 'f.jsonl');
      expect(error?.message).toContain(`line 2: ${field} has`);
      expect(items).toHaveLength(1);
    }
    const csv = write('f.csv', `benchmark,model,item_id,meta.note\nb,m,1,${'n'.repeat(2000)}\n`);
    expectLimit(
      (await read('canonical', csv, { maxFieldBytes: max })).error,
      'IMPORT_MAX_FIELD_BYTES',
      max,
      'f.csv',
    );
    // at the limit exactly, it is kept whole
    const ok = write('ok.jsonl', `${rec({ response: 'é'.repeat(max / 2) })}\n`);
    const kept = await read('canonical', ok, { maxFieldBytes: max });
    expect(kept.error).toBeNull();
    expect(kept.items).toMatchObject([{ record: { response: 'é'.repeat(max / 2) } }]);
  });

  it('Inspect, promptfoo, lm-eval and qwen-math records', async () => {
    const inspect = write(
      'big.json',
      JSON.stringify({
        eval: { task: 't', model: 'm' },
        samples: [{ id: 1, output: { completion: 'c'.repeat(2000) } }],
      }),
    );
    expectLimit(
      (await read('inspect', inspect, { maxFieldBytes: max })).error,
      'IMPORT_MAX_FIELD_BYTES',
      max,
      'big.json',
    );
    const pf = write(
      'pf2.json',
      JSON.stringify({
        evalId: 'e',
        results: { results: [{ provider: 'p', response: { output: 'o'.repeat(2000) } }] },
      }),
    );
    expectLimit(
      (await read('promptfoo', pf, { maxFieldBytes: max })).error,
      'IMPORT_MAX_FIELD_BYTES',
      max,
      'pf2.json',
    );
    const name = 'samples_t_2025-01-01T00-00-00.000000.jsonl';
    const lm = write(
      name,
      `${JSON.stringify({ doc_id: 1, target: 't'.repeat(2000), metrics: ['acc'], acc: 1 })}\n`,
    );
    expectLimit(
      (await read('lm-eval', lm, { maxFieldBytes: max }, 'm')).error,
      'IMPORT_MAX_FIELD_BYTES',
      max,
      name,
    );
    const qm = write(
      'qm2.jsonl',
      `${JSON.stringify({ idx: 1, gt: '1', pred: ['1'], score: [true], code: ['v'.repeat(2000)] })}\n`,
    );
    expectLimit(
      (await read('qwen-math', qm, { maxFieldBytes: max })).error,
      'IMPORT_MAX_FIELD_BYTES',
      max,
      'qm2.jsonl',
    );
  });

  it('qwen-math keeps a long response whole instead of cutting it at 20,000 characters', async () => {
    const long = 'step '.repeat(10_000); // 50,000 characters
    const qm = write(
      'qm3.jsonl',
      `${JSON.stringify({ idx: 1, gt: '1', pred: ['1'], score: [true], code: [long] })}\n`,
    );
    const { error, items } = await read('qwen-math', qm, {});
    expect(error).toBeNull();
    expect(items).toMatchObject([{ record: { response: long } }]);
  });
});

describe('zip archives (Inspect .eval)', () => {
  const header = strToU8(JSON.stringify({ eval: { task: 't', model: 'm', run_id: 'r' } }));
  const sample = (id: number) => strToU8(JSON.stringify({ id, epoch: 1, scores: { s: { value: 'C' } } }));

  it('a header.json larger than maxZipEntryBytes is refused while inflating, whatever it declares', async () => {
    // 8 MiB of whitespace before the JSON: deflates to a few KB
    const big = strToU8(`${' '.repeat(8 * 1024 ** 2)}{"eval": {"task": "t", "model": "m"}}`);
    const path = write('bomb.eval', zipSync({ 'header.json': big, 'samples/1_epoch_1.json': sample(1) }));
    expectLimit(
      (await read('inspect', path, { maxZipEntryBytes: 1024 ** 2 })).error,
      'IMPORT_MAX_ZIP_ENTRY_BYTES',
      1024 ** 2,
      'bomb.eval',
    );
  });

  it('a zip with more entries than maxZipEntries is refused before any is read', async () => {
    const files: Record<string, Uint8Array> = { 'header.json': header };
    for (let i = 1; i <= 20; i++) files[`samples/${i}_epoch_1.json`] = sample(i);
    const path = write('many.eval', zipSync(files));
    const { error, items } = await read('inspect', path, { maxZipEntries: 10 });
    expectLimit(error, 'IMPORT_MAX_ZIP_ENTRIES', 10, 'many.eval');
    expect(items).toEqual([]);
    // within the limit, every sample is read, in id order
    const ok = await read('inspect', path, {});
    expect(ok.error).toBeNull();
    expect(ok.items.map((i) => ('record' in i ? i.record.item_id : null))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
  });

  it('all entries together are bounded by maxBytes', async () => {
    const files: Record<string, Uint8Array> = { 'header.json': header };
    for (let i = 1; i <= 50; i++)
      files[`samples/${i}_epoch_1.json`] = strToU8(JSON.stringify({ id: i, pad: 'p'.repeat(10_000) }));
    const path = write('total.eval', zipSync(files));
    expectLimit(
      (await read('inspect', path, { maxBytes: 200_000 })).error,
      'IMPORT_MAX_BYTES',
      200_000,
      'total.eval',
    );
  });

  it('a sample entry that is not JSON is a corrupt file naming the entry', async () => {
    const path = write(
      'badjson.eval',
      zipSync({ 'header.json': header, 'samples/1_epoch_1.json': strToU8('{"id": 1,') }),
    );
    const { error } = await read('inspect', path, {});
    expect(error).toMatchObject({ code: 'CORRUPT_FILE', details: { file: 'badjson.eval' } });
    expect(error?.message).toMatch(/^badjson\.eval: samples\/1_epoch_1\.json: invalid JSON/);
  });
});
