import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvRows } from './csv-rows.ts';

const options = {
  maxChars: 1000,
  tooLong: (line: number) => new Error(`too long at ${line}`),
  malformed: (line: number, code: string) => new Error(`${code} at ${line}`),
};

async function* chunks(text: string, size: number) {
  const b = Buffer.from(text, 'utf8');
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function rows(text: string, size: number) {
  const out: { cells: string[]; line: number }[] = [];
  for await (const r of csvRows(chunks(text, size), options)) out.push(r);
  return out;
}

// quoted commas, doubled quotes, newlines inside cells, an empty line, multi-byte text, no final newline
const LINES = [
  'a,b,c',
  '1,"x, y","say ""hi"""',
  '',
  '2,"two\nlines",\u00e9\u20ac\u{1F600}',
  '3,"c\nd",',
  ',,',
  '4,last,"q"',
];
const LF = `\uFEFF${LINES.join('\n')}`;
const CRLF = `\uFEFF${LINES.map((l) => l.replaceAll('\n', '\r\n')).join('\r\n')}`;

describe('csvRows', () => {
  it('gives the rows csv-parse gives, whatever the chunk boundaries (1, 2, 3, 7 bytes, whole)', async () => {
    for (const text of [LF, CRLF]) {
      const expected = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true });
      expect(expected).toHaveLength(6);
      for (const size of [1, 2, 3, 7, 1 << 20])
        expect((await rows(text, size)).map((r) => r.cells)).toEqual(expected);
    }
  });

  it('numbers each row by the line it starts on, counting newlines inside quoted cells', async () => {
    expect((await rows(CRLF, 5)).map((r) => r.line)).toEqual([1, 2, 4, 6, 8, 9]);
  });

  it('refuses an unclosed quote and a stray one with their codes and lines', async () => {
    await expect(rows('a,b\n1,"2\n3,4\n', 4)).rejects.toThrow('CSV_QUOTE_NOT_CLOSED at 2');
    await expect(rows('a,b\n1,x"y\n', 4)).rejects.toThrow('CSV_INVALID_OPENING_QUOTE at 2');
    await expect(rows('a,b\n1,"x"y\n', 4)).rejects.toThrow('CSV_INVALID_CLOSING_QUOTE at 2');
  });

  it('stops a row that grows past maxChars, also one that never ends', async () => {
    await expect(rows(`a\n${'x'.repeat(1001)}\n`, 64)).rejects.toThrow('too long at 2');
    await expect(rows(`a\n"${'x'.repeat(5000)}`, 64)).rejects.toThrow('too long at 2');
  });
});
