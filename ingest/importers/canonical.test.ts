import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { canonicalImporter, deriveOutcome, inferCsvValue } from './canonical.ts';
import type { ImportItem, ImportOptions } from './types.ts';

const { dir, cleanup } = tmpDir('evalhouse-canonical-');
afterAll(cleanup);

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function all(path: string, options: ImportOptions = {}): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of canonicalImporter.read(path, options)) out.push(item);
  return out;
}

const errors = (items: ImportItem[]) => items.flatMap((i) => ('error' in i ? [i.error] : []));
const records = (items: ImportItem[]) => items.flatMap((i) => ('record' in i ? [i.record] : []));

describe('deriveOutcome', () => {
  it.each([
    [true, null, undefined, 'correct'],
    [false, null, undefined, 'incorrect'],
    [null, null, undefined, 'unscored'],
    [null, 'timeout', undefined, 'error'],
    [null, '', undefined, 'unscored'],
    // A verdict wins over an error message: the item was graded.
    [false, 'parse warning', undefined, 'incorrect'],
    [null, null, 'error', 'error'],
    [null, 'timeout', 'unscored', 'unscored'],
    [true, null, 'correct', 'correct'],
  ] as const)('correct=%s error=%s outcome=%s → %s', (correct, error, explicit, expected) => {
    expect(deriveOutcome(correct, error, explicit)).toEqual({ outcome: expected });
  });

  it.each([
    [false, 'correct'],
    [null, 'correct'],
    [true, 'incorrect'],
    [true, 'unscored'],
    [false, 'error'],
  ] as const)('rejects correct=%s with outcome %s', (correct, explicit) => {
    const r = deriveOutcome(correct, null, explicit);
    expect(r).toHaveProperty('message');
    expect((r as { message: string }).message).toContain(explicit);
  });
});

describe('canonical JSONL', () => {
  it('reads records, fills defaults and skips blank lines', async () => {
    const path = write(
      'ok.jsonl',
      [
        JSON.stringify({
          benchmark: 'b',
          model: 'm',
          item_id: 7,
          correct: 1,
          metadata: { subject: 'x', year: 2020 },
        }),
        '',
        JSON.stringify({
          benchmark: 'b',
          model: 'm',
          run: 'r1',
          item_id: 'q-2',
          sample: 3,
          correct: null,
          score: 0.5,
        }),
        JSON.stringify({ benchmark: 'b', model: 'm', item_id: 'q-3', error: 'HTTP 500', latency_ms: 12 }),
      ].join('\n'),
    );
    const items = await all(path);
    expect(errors(items)).toEqual([]);
    expect(items.map((i) => i.line)).toEqual([1, 3, 4]);
    const [a, b, c] = records(items);
    expect(a).toMatchObject({
      item_id: '7',
      sample: 0,
      run: 'default',
      correct: true,
      outcome: 'correct',
      score: null,
    });
    expect(a?.metadata).toEqual({ subject: 'x', year: 2020 });
    expect(b).toMatchObject({
      item_id: 'q-2',
      sample: 3,
      run: 'r1',
      correct: null,
      outcome: 'unscored',
      score: 0.5,
    });
    expect(c).toMatchObject({ outcome: 'error', error: 'HTTP 500', correct: null, latency_ms: 12 });
  });

  it('reports bad records with file, line and field, and goes on', async () => {
    const good = { benchmark: 'b', model: 'm', item_id: 1, correct: true };
    const path = write(
      'bad.jsonl',
      [
        JSON.stringify(good),
        '{"benchmark": "b", "model": ', // line 2: broken JSON
        JSON.stringify({ ...good, sample: -1 }), // 3
        JSON.stringify({ ...good, correct: 'yes' }), // 4
        JSON.stringify({ ...good, colour: 'red', extra: 1 }), // 5
        JSON.stringify({ ...good, metadata: { nested: { a: 1 } } }), // 6
        JSON.stringify({ model: 'm', item_id: 1 }), // 7: no benchmark
        JSON.stringify({ ...good, outcome: 'incorrect' }), // 8: disagrees with correct
        JSON.stringify({ ...good, correct: null, outcome: 'correct' }), // 9
        '[1, 2]', // 10
        JSON.stringify({ ...good, item_id: 1.5 }), // 11
        JSON.stringify(good), // 12
      ].join('\n'),
    );
    const items = await all(path);
    expect(records(items).map((r) => r.item_id)).toEqual(['1', '1']);
    const errs = errors(items);
    expect(errs.map((e) => [e.line, e.field])).toEqual([
      [2, '(line)'],
      [3, 'sample'],
      [4, 'correct'],
      [5, 'colour, extra'],
      [6, 'metadata.nested'],
      [7, 'benchmark'],
      [8, 'outcome'],
      [9, 'outcome'],
      [10, '(record)'],
      [11, 'item_id'],
    ]);
    expect(errs.every((e) => e.file === 'bad.jsonl')).toBe(true);
    expect(errs[3]?.message).toContain('"colour"');
    expect(errs[3]?.message).toContain('"extra"');
    expect(errs[4]?.message).toMatch(/string, number, boolean or null/);
  });

  it('reads evaluated_at as an instant in UTC and refuses ambiguous or impossible dates', async () => {
    const good = { benchmark: 'b', model: 'm', item_id: 1, correct: true };
    const path = write(
      'dates.jsonl',
      [
        { ...good, evaluated_at: '2025-02-11T15:18:04-05:00' },
        { ...good, evaluated_at: '2025-02-11' },
        { ...good, evaluated_at: null },
        { ...good, evaluated_at: '2025-02-11T15:18:04' }, // no offset: which zone?
        { ...good, evaluated_at: 'yesterday' },
        { ...good, evaluated_at: '2025-13-40T00:00:00Z' },
        { ...good, evaluated_at: 1739305084 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const items = await all(path);
    expect(records(items).map((r) => r.evaluated_at)).toEqual([
      '2025-02-11T20:18:04.000Z',
      '2025-02-11T00:00:00.000Z',
      undefined,
    ]);
    expect(errors(items).map((e) => [e.line, e.field])).toEqual([
      [4, 'evaluated_at'],
      [5, 'evaluated_at'],
      [6, 'evaluated_at'],
      [7, 'evaluated_at'],
    ]);
    expect(errors(items)[0]!.message).toMatch(/ISO 8601 .*offset/);
  });

  it('reads gzipped JSONL and applies option overrides', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify({ benchmark: 'b', model: 'm', item_id: i, correct: i % 3 === 0 }),
    );
    const path = write('big.jsonl.gz', gzipSync(lines.join('\n')));
    const recs = records(await all(path, { model: 'other', run: 'imported' }));
    expect(recs).toHaveLength(1000);
    expect(recs.filter((r) => r.correct)).toHaveLength(334);
    expect(new Set(recs.map((r) => `${r.model}/${r.run}`))).toEqual(new Set(['other/imported']));
  });

  it('refuses a truncated gzip as a corrupt file after the records it could read, not as one bad record', async () => {
    const gz = gzipSync(
      Array.from({ length: 2000 }, (_, i) => `{"benchmark":"b","model":"m","item_id":${i}}`).join('\n'),
    );
    const path = write('cut.jsonl.gz', gz.subarray(0, gz.length - 40));
    const read: ImportItem[] = [];
    const err = await (async () => {
      for await (const item of canonicalImporter.read(path, {})) read.push(item);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', statusCode: 400, details: { file: 'cut.jsonl.gz' } });
    expect((err as Error).message).toMatch(/^cut\.jsonl\.gz: not a readable gzip file: .*truncated/);
    expect(records(read).length).toBeGreaterThan(1000);
  });
});

describe('canonical CSV', () => {
  it('types columns, infers meta.* values and numbers quoted multi-line records by their first line', async () => {
    const path = write(
      'ok.csv',
      [
        'benchmark,model,item_id,sample,correct,score,response,meta.subject,meta.year,meta.hard,meta.code,meta.w',
        'b,m,1,,1,,plain,algebra,2020,true,007,0.5',
        'b,m,2,1,false,0.25,"two',
        'lines",geometry,,false,x,-3',
        '',
        'b,m,3,,,,,"quoted, comma",1999,,,',
      ].join('\n'),
    );
    const items = await all(path);
    expect(errors(items)).toEqual([]);
    expect(items.map((i) => i.line)).toEqual([2, 3, 6]);
    const [a, b, c] = records(items);
    expect(a).toMatchObject({
      item_id: '1',
      sample: 0,
      correct: true,
      outcome: 'correct',
      score: null,
      response: 'plain',
    });
    expect(a?.metadata).toEqual({ subject: 'algebra', year: 2020, hard: true, code: '007', w: 0.5 });
    expect(b).toMatchObject({ sample: 1, correct: false, score: 0.25, response: 'two\nlines' });
    expect(b?.metadata).toEqual({ subject: 'geometry', year: null, hard: false, code: 'x', w: -3 });
    expect(c).toMatchObject({ correct: null, outcome: 'unscored', response: undefined });
    expect(c?.metadata.subject).toBe('quoted, comma');
  });

  it('reports unknown columns once, at the header', async () => {
    const path = write('badhead.csv', 'benchmark,model,item_id,correct,subject\nb,m,1,1,x\nb,m,2,0,y\n');
    const items = await all(path);
    expect(items).toHaveLength(1);
    expect(errors(items)[0]).toMatchObject({ file: 'badhead.csv', line: 1, field: 'subject' });
    expect(errors(items)[0]?.message).toContain('meta.<field>');
  });

  it('reports bad cells and short rows with their line and keeps going', async () => {
    const path = write(
      'bad.csv',
      [
        'benchmark,model,item_id,sample,correct,score,outcome',
        'b,m,1,0,1,0.9,', // 2 ok
        'b,m,2,x,1,,', // 3 sample
        'b,m,3,0,maybe,,', // 4 correct
        'b,m,4,0,1,high,', // 5 score
        'b,m,5,0,0,,correct', // 6 outcome conflict
        'b,m,6', // 7 short row
        ',m,7,0,1,,', // 8 no benchmark
        'b,m,8,0,"0",,incorrect', // 9 ok
      ].join('\n'),
    );
    const items = await all(path);
    expect(records(items).map((r) => [r.item_id, r.outcome])).toEqual([
      ['1', 'correct'],
      ['8', 'incorrect'],
    ]);
    expect(errors(items).map((e) => [e.line, e.field])).toEqual([
      [3, 'sample'],
      [4, 'correct'],
      [5, 'score'],
      [6, 'outcome'],
      [7, '(row)'],
      [8, 'benchmark'],
    ]);
  });

  it('numbers records by their first line in CRLF files with CRLF inside quoted cells', async () => {
    const path = write(
      'crlf.csv',
      [
        'benchmark,model,item_id,response',
        'b,m,1,"a\r\nb"',
        '',
        'b,m,2,x',
        'b,m,3,"c\r\nd\r\ne"',
        'b,m,4,y',
      ].join('\r\n'),
    );
    const items = await all(path);
    expect(errors(items)).toEqual([]);
    expect(items.map((i) => i.line)).toEqual([2, 5, 6, 9]);
  });

  it('refuses an unclosed quote as a corrupt file, with its line', async () => {
    const path = write('quote.csv', 'benchmark,model,item_id\nb,m,1\nb,m,"2\n');
    const err = await all(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', details: { file: 'quote.csv' } });
    expect((err as Error).message).toMatch(/^quote\.csv: line 3: CSV_QUOTE_NOT_CLOSED/);
  });

  it('reads gzipped CSV', async () => {
    const path = write('r.csv.gz', gzipSync('benchmark,model,item_id,correct\nb,m,a,1\nb,m,b,0\n'));
    expect(records(await all(path)).map((r) => r.correct)).toEqual([true, false]);
  });
});

describe('inferCsvValue', () => {
  it.each([
    ['', null],
    ['12', 12],
    ['-1.5e3', -1500],
    ['true', true],
    ['false', false],
    ['True', 'True'],
    ['007', '007'],
    ['1.2.3', '1.2.3'],
    ['Level 3', 'Level 3'],
  ])('%j → %j', (cell, value) => {
    expect(inferCsvValue(cell)).toEqual(value);
  });
});
