/**
 * RFC 4180 rows of a streamed text, each with the line it starts on: `,` between cells, `"` quoting (`""`
 * inside), `\n` or `\r\n` ending rows, newlines inside quoted cells, a leading BOM dropped, empty lines
 * skipped. Written for imports (csv-parse with row objects and info was most of a CSV import's parse time):
 * a row without a quote is one split. A row is never buffered past maxChars characters.
 */
import { StringDecoder } from 'node:string_decoder';

export interface CsvRow {
  cells: string[];
  /** The 1-based line the row starts on. */
  line: number;
}

export interface CsvRowsOptions {
  maxChars: number;
  /** The error for a row longer than maxChars (line it starts on). */
  tooLong: (line: number, chars: number) => Error;
  /** The error for malformed quoting: csv-parse's codes (CSV_QUOTE_NOT_CLOSED...), so messages stay the same. */
  malformed: (line: number, code: string, message: string) => Error;
}

const QUOTE = 34;
const COMMA = 44;
const NL = 10;
const CR = 13;

type Parsed = { cells: string[]; next: number; newlines: number } | null;

/** The quoted-cell path: the row starting at `start`, or null when `s` ends before the row does (and !final). */
function parseQuoted(s: string, start: number, final: boolean, line: number, o: CsvRowsOptions): Parsed {
  const cells: string[] = [];
  let i = start;
  let newlines = 0;
  for (;;) {
    if (s.charCodeAt(i) === QUOTE) {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q === -1 || (q + 1 >= s.length && !final)) {
          if (!final) return null;
          throw o.malformed(
            line,
            'CSV_QUOTE_NOT_CLOSED',
            `Quote Not Closed: the parsing is finished with an opening quote at line ${line}`,
          );
        }
        if (s.charCodeAt(q + 1) === QUOTE) {
          cell += s.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        cell += s.slice(j, q);
        i = q + 1;
        break;
      }
      for (let k = cell.indexOf('\n'); k !== -1; k = cell.indexOf('\n', k + 1)) newlines++;
      cells.push(cell);
      const c = s.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === NL) return { cells, next: i + 1, newlines };
      if (c === CR && s.charCodeAt(i + 1) === NL) return { cells, next: i + 2, newlines };
      if (i >= s.length) return final ? { cells, next: i, newlines } : null;
      if (c === CR && i + 1 >= s.length && !final) return null;
      throw o.malformed(
        line + newlines,
        'CSV_INVALID_CLOSING_QUOTE',
        `Invalid Closing Quote: got "${s[i]}" at line ${line + newlines} instead of delimiter or record delimiter`,
      );
    }
    let k = i;
    let c = 0;
    for (; k < s.length; k++) {
      c = s.charCodeAt(k);
      if (c === COMMA || c === NL || c === QUOTE) break;
    }
    if (k < s.length && c === QUOTE)
      throw o.malformed(
        line + newlines,
        'CSV_INVALID_OPENING_QUOTE',
        `Invalid Opening Quote: a quote is found on field ${cells.length} at line ${line + newlines}`,
      );
    if (k >= s.length) {
      if (!final) return null;
      cells.push(stripCr(s.slice(i, k)));
      return { cells, next: k, newlines };
    }
    if (c === COMMA) {
      cells.push(s.slice(i, k));
      i = k + 1;
      continue;
    }
    cells.push(stripCr(s.slice(i, k)));
    return { cells, next: k + 1, newlines };
  }
}

const stripCr = (t: string) => (t.length > 0 && t.charCodeAt(t.length - 1) === CR ? t.slice(0, -1) : t);

export async function* csvRows(input: AsyncIterable<Buffer>, o: CsvRowsOptions): AsyncGenerator<CsvRow> {
  const decoder = new StringDecoder('utf8');
  let s = '';
  let line = 0; // lines consumed
  let first = true;
  const rows = function* (final: boolean): Generator<CsvRow> {
    let pos = 0;
    let quote = s.indexOf('"'); // the next quote at or after pos (-1: none left)
    while (pos < s.length) {
      const nl = s.indexOf('\n', pos);
      const start = line + 1;
      if (quote !== -1 && quote < pos) quote = s.indexOf('"', pos);
      if (nl !== -1 && (quote === -1 || quote > nl)) {
        // no quote on this line: the common row
        const text = stripCr(s.slice(pos, nl));
        pos = nl + 1;
        line++;
        if (text.length > o.maxChars) throw o.tooLong(start, text.length);
        if (text !== '') yield { cells: text.split(','), line: start };
        continue;
      }
      const p = parseQuoted(s, pos, final, start, o);
      if (!p) break;
      if (p.next - pos > o.maxChars) throw o.tooLong(start, p.next - pos);
      const blank = p.cells.length === 1 && p.cells[0] === '' && s.charCodeAt(pos) !== QUOTE;
      pos = p.next;
      line += 1 + p.newlines;
      if (!blank) yield { cells: p.cells, line: start };
    }
    s = s.slice(pos);
    if (s.length > o.maxChars) throw o.tooLong(line + 1, s.length);
  };
  for await (const chunk of input) {
    s += decoder.write(chunk);
    if (first && s.length > 0) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      first = false;
    }
    yield* rows(false);
  }
  s += decoder.end();
  yield* rows(true);
}
