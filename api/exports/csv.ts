import { neutralise } from './cells.ts';
import type { Cell, Column, Provenance } from './document.ts';

/**
 * CSV as RFC 4180 writes it: comma-separated, CRLF line ends, a field quoted when it holds a comma, a quote
 * or a line break (quotes doubled), UTF-8. Text cells that a spreadsheet would run as a formula are
 * neutralised (cells.ts); numbers are written as numbers, booleans as true/false, NULL as an empty field.
 * The first line is the provenance, `# evalhouse {...}` (one line of JSON), unless it is turned off: read the
 * file with `pd.read_csv(f, skiprows=1)` or DuckDB's `read_csv(f, skip = 1)`.
 */
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = neutralise(v);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRows(rows: readonly Cell[][]): string {
  let out = '';
  for (const r of rows) out += `${r.map(csvField).join(',')}\r\n`;
  return out;
}

export interface CsvOptions {
  /** A UTF-8 byte order mark first, for Excel on Windows. */
  bom?: boolean;
  /** The `# evalhouse {...}` provenance line (default: on). */
  provenance?: boolean;
}

/** Everything before the rows: BOM, provenance line, header. */
export function csvHead(columns: readonly Column[], provenance: Provenance, opts: CsvOptions = {}): string {
  let out = opts.bom ? '\uFEFF' : '';
  if (opts.provenance !== false) out += `${csvField(`# evalhouse ${JSON.stringify(provenance)}`)}\r\n`;
  return `${out}${columns.map((c) => csvField(c.key)).join(',')}\r\n`;
}
