/**
 * How each sheet of an evalhouse workbook is laid out (xlsx.ts assembles them): cell values (numbers as numbers,
 * text neutralised), number formats from the column's format, header and marked rows, widths from content,
 * frozen panes, the About sheet, the matrix with its colour scale, the chart images. Shared by the in-memory and
 * the streaming writer, so both files look the same.
 */
import type ExcelJS from 'exceljs';
import { neutralise } from './cells.ts';
import type { Cell, Column, ColumnFormat, ExportDocument, Provenance, Table } from './document.ts';

/** Excel number formats per column format (text and boolean keep Excel's General). */
export const NUMBER_FORMATS: Record<ColumnFormat, string | undefined> = {
  text: undefined,
  boolean: undefined,
  count: '0',
  number: '0.0000',
  share: '0.0%',
  signed_share: '+0.0%;-0.0%',
  pvalue: '0.0000',
  ms: '0',
  tokens: '#,##0',
  usd: '$0.0000',
};

/** Excel's limit for one cell's text. */
const MAX_CELL_TEXT = 32767;
export const MAX_WIDTH = 60;
const MARK_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };
const HEADER_BORDER: Partial<ExcelJS.Borders> = { bottom: { style: 'thin', color: { argb: 'FF808080' } } };
/** Default row height and column width of a sheet in pixels (15 pt; 8.43 characters). */
export const ROW_PX = 20;
export const COL_PX = 64;

/** A cell as written: numbers only when finite (NaN has no cell form), text neutralised (cells.ts). */
export function cellValue(cell: Cell): ExcelJS.CellValue {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'string') return neutralise(cell).slice(0, MAX_CELL_TEXT);
  return cell;
}

/** Characters a value takes on screen, East Asian wide characters (Hangul, CJK) counting two. */
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60\uFFE0-\uFFE6]/g;
export function displayWidth(text: string): number {
  let w = 0;
  for (const line of text.split('\n')) w = Math.max(w, line.length + (line.match(WIDE)?.length ?? 0));
  return w;
}

/** How a number looks under its format, to size the column (an estimate: Excel renders the real one). */
function shown(value: ExcelJS.CellValue, format: ColumnFormat): string {
  if (typeof value !== 'number') return value === null || value === undefined ? '' : String(value);
  switch (format) {
    case 'share':
    case 'signed_share':
      return `+${(value * 100).toFixed(1)}%`;
    case 'number':
    case 'pvalue':
      return value.toFixed(4);
    case 'usd':
      return `$${value.toFixed(4)}`;
    case 'tokens':
      return Math.round(value).toLocaleString('en-US');
    default:
      return String(Math.round(value));
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among those Excel forbids
const SHEET_NAME_FORBIDDEN = /[[\]:*?/\\\u0000-\u001F]/g;

/** Unique sheet names that Excel accepts: ≤ 31 characters, none of []:*?/\, not quoted, case-insensitively new. */
export class SheetNames {
  private readonly taken = new Set<string>();
  take(wanted: string): string {
    const base =
      wanted
        .replace(SHEET_NAME_FORBIDDEN, '_')
        .replace(/^'+|'+$/g, '')
        .trim()
        .slice(0, 31) || 'Sheet';
    let name = base;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++)
      name = `${base.slice(0, 31 - ` (${n})`.length)} (${n})`;
    this.taken.add(name.toLowerCase());
    return name;
  }
}

/** A1-style column letters of a 1-based column number. */
export function colLetter(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

/** An absolute reference with its sheet, quoted as formulas need it: one cell, or a column's rows. */
export function sheetCell(sheet: string, col: number, row: number): string {
  return `'${sheet.replace(/'/g, "''")}'!$${colLetter(col)}$${row}`;
}
export function sheetRange(sheet: string, col: number, first: number, last: number): string {
  return `${sheetCell(sheet, col, first)}:$${colLetter(col)}$${last}`;
}

/** Header/footer text: '&' starts a code there. */
function headerText(s: string): string {
  return s.replace(/&/g, '&&');
}

// ---------------------------------------------------------------------------------------------------------
// About

export type AboutDoc = Pick<ExportDocument, 'title' | 'subtitle' | 'kind'> & { provenance: Provenance };

export function writeAbout(
  ws: ExcelJS.Worksheet,
  doc: AboutDoc,
  sheets: { name: string; title: string }[],
): void {
  ws.columns = [{ width: 22 }, { width: 100 }];
  const wrap: Partial<ExcelJS.Alignment> = { wrapText: true, vertical: 'top' };
  const add = (label: string, value: ExcelJS.CellValue, style?: 'wrap') => {
    const row = ws.addRow([cellValue(label), value]);
    row.getCell(1).font = { bold: true };
    row.getCell(1).alignment = { vertical: 'top' };
    if (style === 'wrap') row.getCell(2).alignment = wrap;
    return row;
  };
  const title = ws.addRow([cellValue(doc.title)]);
  title.getCell(1).font = { bold: true, size: 14 };
  ws.addRow([cellValue(doc.subtitle)]).getCell(1).font = { italic: true };
  ws.addRow([]);
  const p = doc.provenance;
  // The query is the means to re-run the export, so it is never cut: a longer text continues on the next rows.
  const query = JSON.stringify(p.query, null, 2) ?? 'null';
  for (let i = 0; i < query.length || i === 0; i += MAX_CELL_TEXT - 1) {
    add(
      i === 0 ? 'Query (as sent)' : 'Query (continued)',
      cellValue(query.slice(i, i + MAX_CELL_TEXT - 1)),
      'wrap',
    );
  }
  add('Kind', cellValue(p.kind));
  add('API version', cellValue(p.api_version));
  add('Data version', cellValue(p.data_version));
  add('Engine', cellValue(p.engine));
  add('Generated at', cellValue(p.generated_at));
  if (sheets.length) {
    ws.addRow([]);
    ws.addRow(['Sheets']).getCell(1).font = { bold: true, size: 12 };
    for (const s of sheets) add(s.name, cellValue(s.title), 'wrap');
  }
  ws.addRow([]);
  ws.addRow(['Methods']).getCell(1).font = { bold: true, size: 12 };
  for (const [name, note] of Object.entries(p.methods)) add(name, cellValue(note), 'wrap');
}

// ---------------------------------------------------------------------------------------------------------
// Tables

export function styleHeader(ws: ExcelJS.Worksheet, columns: Column[]): void {
  const header = ws.getRow(1);
  columns.forEach((col, i) => {
    const cell = header.getCell(i + 1);
    cell.value = cellValue(col.label);
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    cell.border = HEADER_BORDER;
    cell.alignment = { vertical: 'bottom', wrapText: false };
    if (col.description) cell.note = neutralise(col.description);
  });
}

export function tableSheetOptions(
  table: Pick<Table, 'keyColumns' | 'title'>,
): Partial<ExcelJS.AddWorksheetOptions> {
  return {
    views: [{ state: 'frozen', xSplit: table.keyColumns, ySplit: 1 }],
    headerFooter: { oddHeader: `&C${headerText(table.title)}`, oddFooter: '&C&P / &N' },
    pageSetup: {
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:1',
    },
  };
}

function columnWidths(columns: Column[], rows: ExcelJS.CellValue[][]): number[] {
  return columns.map((col, j) => {
    // + 3: the autofilter button sits over the header's right end.
    let w = displayWidth(col.label) + 3;
    for (const row of rows) {
      w = Math.max(w, displayWidth(shown(row[j] ?? null, col.format)));
      if (w >= MAX_WIDTH) break;
    }
    return Math.min(MAX_WIDTH, Math.max(6, w + 1));
  });
}

/** A table on its sheet: header, cells, number formats, marked rows, widths and the autofilter. */
export function writeTable(ws: ExcelJS.Worksheet, table: Table): void {
  styleHeader(ws, table.columns);
  const values = table.rows.map((row) => table.columns.map((_, j) => cellValue(row[j] ?? null)));
  table.columns.forEach((col, j) => {
    const column = ws.getColumn(j + 1);
    const fmt = NUMBER_FORMATS[col.format];
    if (fmt) column.numFmt = fmt;
  });
  values.forEach((vals, i) => {
    const row = ws.getRow(i + 2);
    row.values = vals;
    const mark = table.marks?.[i];
    if (mark) {
      // Only the columns of the table: a filled row must not run into the helper columns.
      for (let c = 1; c <= table.columns.length; c++) {
        const cell = row.getCell(c);
        cell.font = { bold: true };
        cell.fill = MARK_FILL;
      }
    }
  });
  columnWidths(table.columns, values).forEach((w, j) => {
    ws.getColumn(j + 1).width = w;
  });
  if (table.columns.length) {
    ws.autoFilter = {
      from: { row: 1, column: 1 },
      to: { row: table.rows.length + 1, column: table.columns.length },
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Matrix and charts

export function writeMatrix(ws: ExcelJS.Worksheet, matrix: NonNullable<ExportDocument['matrix']>): void {
  const columns: Column[] = [
    { key: 'row', label: matrix.rowLabel, format: 'text' },
    ...matrix.columns.map((c, j) => ({ key: `c${j}`, label: c, format: matrix.format })),
  ];
  styleHeader(ws, columns);
  const rows = matrix.rows.map((r, i) => [
    cellValue(r),
    ...matrix.columns.map((_, j) => cellValue(matrix.values[i]?.[j] ?? null)),
  ]);
  rows.forEach((vals, i) => {
    ws.getRow(i + 2).values = vals;
    ws.getRow(i + 2).getCell(1).font = { bold: true };
  });
  const fmt = NUMBER_FORMATS[matrix.format];
  columnWidths(columns, rows).forEach((w, j) => {
    const column = ws.getColumn(j + 1);
    column.width = j === 0 ? w : Math.max(w, 8);
    if (j > 0 && fmt) column.numFmt = fmt;
  });
  if (matrix.rows.length && matrix.columns.length) {
    ws.addConditionalFormatting({
      ref: `B2:${colLetter(matrix.columns.length + 1)}${matrix.rows.length + 1}`,
      rules: [
        {
          type: 'colorScale',
          priority: 1,
          cfvo: [{ type: 'min' }, { type: 'percentile', value: 50 }, { type: 'max' }],
          color: [{ argb: 'FFF8696B' }, { argb: 'FFFFEB84' }, { argb: 'FF63BE7B' }],
        },
      ],
    });
  }
}

/** Lays the Plot images on the sheet and returns the first free row (0-based) below them. */
export function writeImages(
  wb: ExcelJS.Workbook,
  ws: ExcelJS.Worksheet,
  charts: ExportDocument['charts'],
): number {
  let row = 0;
  for (const chart of charts) {
    if (!chart.png) continue;
    ws.getRow(row + 1).getCell(1).value = cellValue(chart.title);
    ws.getRow(row + 1).getCell(1).font = { bold: true };
    const id = wb.addImage({ buffer: Buffer.from(chart.png) as unknown as ExcelJS.Buffer, extension: 'png' });
    ws.addImage(id, { tl: { col: 0, row: row + 1 }, ext: { width: chart.width, height: chart.height } });
    row += 2 + Math.ceil(chart.height / ROW_PX) + 1;
  }
  return row;
}

export function newWorkbook(
  doc: Pick<ExportDocument, 'title' | 'subtitle'> & { provenance: Provenance },
  wb: ExcelJS.Workbook,
): void {
  wb.creator = 'evalhouse';
  wb.title = doc.title;
  wb.subject = doc.subtitle;
  wb.keywords = `evalhouse ${doc.provenance.kind}`;
  const at = new Date(doc.provenance.generated_at);
  if (!Number.isNaN(at.getTime())) wb.created = wb.modified = at;
}
