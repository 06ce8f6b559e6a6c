/**
 * The Excel writer: lays out an ExportDocument as a workbook an analyst would have made by hand. An "About"
 * sheet (title, the query as sent, versions, method notes), one sheet per table (real numeric cells with number
 * formats from the column's format, frozen header and key columns, autofilter, widths from content, header
 * notes, marked total rows), a matrix sheet with a colour scale, and a "Charts" sheet with the Plot charts as
 * images plus native bar charts with interval error bars (xlsx-chart.ts adds those: exceljs writes no charts).
 * `writeXlsxStream` writes one big table through exceljs's streaming writer, its memory flat in the rows.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { neutralise } from './cells.ts';
import type {
  Cell,
  Column,
  ColumnFormat,
  ExportDocument,
  NativeChart,
  Provenance,
  Table,
} from './document.ts';
import { addBarCharts, type PlacedBarChart } from './xlsx-chart.ts';

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
const MAX_WIDTH = 60;
const MARK_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };
const HEADER_BORDER: Partial<ExcelJS.Borders> = { bottom: { style: 'thin', color: { argb: 'FF808080' } } };
/** Default row height and column width of a sheet in pixels (15 pt; 8.43 characters). */
const ROW_PX = 20;
const COL_PX = 64;

/** A cell as written: numbers only when finite (NaN has no cell form), text neutralised (cells.ts). */
function cellValue(cell: Cell): ExcelJS.CellValue {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell === 'string') return neutralise(cell).slice(0, MAX_CELL_TEXT);
  return cell;
}

/** Characters a value takes on screen, East Asian wide characters (Hangul, CJK) counting two. */
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60\uFFE0-\uFFE6]/g;
function displayWidth(text: string): number {
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
class SheetNames {
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
function colLetter(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

/** An absolute reference with its sheet, quoted as formulas need it: one cell, or a column's rows. */
function sheetCell(sheet: string, col: number, row: number): string {
  return `'${sheet.replace(/'/g, "''")}'!$${colLetter(col)}$${row}`;
}
function sheetRange(sheet: string, col: number, first: number, last: number): string {
  return `${sheetCell(sheet, col, first)}:$${colLetter(col)}$${last}`;
}

/** Header/footer text: '&' starts a code there. */
function headerText(s: string): string {
  return s.replace(/&/g, '&&');
}

// ---------------------------------------------------------------------------------------------------------
// About

type AboutDoc = Pick<ExportDocument, 'title' | 'subtitle' | 'kind'> & { provenance: Provenance };

function writeAbout(ws: ExcelJS.Worksheet, doc: AboutDoc, sheets: { name: string; title: string }[]): void {
  ws.columns = [{ width: 22 }, { width: 100 }];
  const wrap: Partial<ExcelJS.Alignment> = { wrapText: true, vertical: 'top' };
  const add = (label: string, value: ExcelJS.CellValue, style?: 'wrap') => {
    const row = ws.addRow([label, value]);
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
  for (const [name, note] of Object.entries(p.methods))
    add(cellValue(name) as string, cellValue(note), 'wrap');
}

// ---------------------------------------------------------------------------------------------------------
// Tables

function styleHeader(ws: ExcelJS.Worksheet, columns: Column[]): void {
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

function tableSheetOptions(table: Pick<Table, 'keyColumns' | 'title'>): Partial<ExcelJS.AddWorksheetOptions> {
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

/** The two hidden columns a native chart's error bars read (high − value, value − low), by chart. */
interface ErrorColumns {
  plus: number;
  minus: number;
}

function writeTable(
  ws: ExcelJS.Worksheet,
  table: Table,
  errorCols: Map<string, ErrorColumns>,
  charts: NativeChart[],
): void {
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
  const last = Math.max(1, table.rows.length + 1);
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: last, column: table.columns.length } };

  // Error bar lengths for the native charts: formulas over the row's cells, so editing a bound moves the bar.
  let next = table.columns.length + 1;
  for (const chart of charts) {
    const key = errorKey(chart);
    if (errorCols.has(key)) continue;
    const idx = (k: string) => table.columns.findIndex((c) => c.key === k) + 1;
    const [v, lo, hi] = [idx(chart.value), idx(chart.low), idx(chart.high)];
    const cols = { plus: next, minus: next + 1 };
    next += 2;
    errorCols.set(key, cols);
    const vLabel = table.columns[v - 1]?.label ?? chart.value;
    for (const [c, label] of [
      [cols.plus, `${vLabel}: error bar above (chart)`],
      [cols.minus, `${vLabel}: error bar below (chart)`],
    ] as const) {
      const column = ws.getColumn(c);
      column.hidden = true;
      column.numFmt = NUMBER_FORMATS[table.columns[v - 1]?.format ?? 'number'] ?? '0.0000';
      ws.getRow(1).getCell(c).value = cellValue(label);
    }
    table.rows.forEach((row, i) => {
      const r = i + 2;
      const [value, low, high] = [row[v - 1], row[lo - 1], row[hi - 1]];
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      const excelRow = ws.getRow(r);
      if (typeof high === 'number' && Number.isFinite(high)) {
        excelRow.getCell(cols.plus).value = {
          formula: `${colLetter(hi)}${r}-${colLetter(v)}${r}`,
          result: high - value,
        };
      }
      if (typeof low === 'number' && Number.isFinite(low)) {
        excelRow.getCell(cols.minus).value = {
          formula: `${colLetter(v)}${r}-${colLetter(lo)}${r}`,
          result: value - low,
        };
      }
    });
  }
}

function errorKey(chart: NativeChart): string {
  return JSON.stringify([chart.table, chart.value, chart.low, chart.high]);
}

/** A native chart must name a table of the document, columns of it and rows inside it: otherwise a bug upstream. */
function checkChart(chart: NativeChart, tables: Map<string, Table>): Table {
  const table = tables.get(chart.table);
  if (!table)
    throw new Error(`native chart "${chart.title}" reads table "${chart.table}", which the document lacks`);
  for (const key of [chart.category, chart.value, chart.low, chart.high]) {
    if (!table.columns.some((c) => c.key === key)) {
      throw new Error(
        `native chart "${chart.title}" reads column "${key}", which table "${table.name}" lacks`,
      );
    }
  }
  const [first, last] = chart.rows;
  if (
    !(
      Number.isInteger(first) &&
      Number.isInteger(last) &&
      first >= 0 &&
      first <= last &&
      last < table.rows.length
    )
  ) {
    throw new Error(
      `native chart "${chart.title}" covers rows ${first}..${last} of a ${table.rows.length}-row table`,
    );
  }
  return table;
}

// ---------------------------------------------------------------------------------------------------------
// Matrix and charts

function writeMatrix(ws: ExcelJS.Worksheet, matrix: NonNullable<ExportDocument['matrix']>): void {
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
    column.width = Math.max(w, j === 0 ? w : 8);
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
function writeImages(wb: ExcelJS.Workbook, ws: ExcelJS.Worksheet, charts: ExportDocument['charts']): number {
  let row = 0;
  for (const chart of charts) {
    ws.getRow(row + 1).getCell(1).value = cellValue(chart.title);
    ws.getRow(row + 1).getCell(1).font = { bold: true };
    const id = wb.addImage({ buffer: Buffer.from(chart.png) as unknown as ExcelJS.Buffer, extension: 'png' });
    ws.addImage(id, { tl: { col: 0, row: row + 1 }, ext: { width: chart.width, height: chart.height } });
    row += 2 + Math.ceil(chart.height / ROW_PX) + 1;
  }
  return row;
}

function placeChart(
  chart: NativeChart,
  table: Table,
  dataSheet: string,
  chartSheet: string,
  errorCols: ErrorColumns,
  row: number,
): PlacedBarChart {
  const [first, last] = chart.rows;
  const index = (k: string) => table.columns.findIndex((c) => c.key === k);
  const [cat, val, lo, hi] = [index(chart.category), index(chart.value), index(chart.low), index(chart.high)];
  const rows = table.rows.slice(first, last + 1);
  const num = (c: Cell | undefined) => (typeof c === 'number' && Number.isFinite(c) ? c : null);
  const range = (col: number) => sheetRange(dataSheet, col, first + 2, last + 2);
  const n = rows.length;
  // Wide enough for the category labels: at least 640 px, 40 px per bar beyond 16 bars.
  const widthPx = Math.min(2400, Math.max(640, 40 * n));
  const valueColumn = table.columns[val];
  return {
    title: chart.title,
    sheet: chartSheet,
    at: { col: 0, row, cols: Math.ceil(widthPx / COL_PX), rows: 20 },
    seriesName: {
      ref: sheetCell(dataSheet, val + 1, 1),
      values: [neutralise(valueColumn?.label ?? chart.value)],
    },
    categories: { ref: range(cat + 1), values: rows.map((r) => String(cellValue(r[cat] ?? null) ?? '')) },
    values: { ref: range(val + 1), values: rows.map((r) => num(r[val])) },
    plus: {
      ref: range(errorCols.plus),
      values: rows.map((r) => {
        const [v, h] = [num(r[val]), num(r[hi])];
        return v === null || h === null ? null : h - v;
      }),
    },
    minus: {
      ref: range(errorCols.minus),
      values: rows.map((r) => {
        const [v, l] = [num(r[val]), num(r[lo])];
        return v === null || l === null ? null : v - l;
      }),
    },
    valueFormat: valueColumn?.format === 'share' || valueColumn?.format === 'signed_share' ? '0%' : 'General',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Writers

function newWorkbook(
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

/** The whole document as an xlsx file. */
export async function writeXlsx(doc: ExportDocument): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  newWorkbook(doc, wb);
  const names = new SheetNames();
  const about = wb.addWorksheet(names.take('About'));
  const tables = new Map(doc.tables.map((t) => [t.name, t]));
  const chartTables = doc.nativeCharts.map((c) => checkChart(c, tables));

  const sheetOf = new Map<string, string>();
  const listed: { name: string; title: string }[] = [];
  const errorCols = new Map<string, ErrorColumns>();
  for (const table of doc.tables) {
    const name = names.take(table.name);
    sheetOf.set(table.name, name);
    listed.push({ name, title: table.title });
    const ws = wb.addWorksheet(name, tableSheetOptions(table));
    const charts = doc.nativeCharts.filter((c) => c.table === table.name);
    writeTable(ws, table, errorCols, charts);
  }
  if (doc.matrix) {
    const name = names.take(doc.matrix.name);
    listed.push({ name, title: doc.matrix.title });
    writeMatrix(wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 1, ySplit: 1 }] }), doc.matrix);
  }
  const placed: PlacedBarChart[] = [];
  if (doc.charts.length || doc.nativeCharts.length) {
    const name = names.take('Charts');
    listed.push({ name, title: [...doc.charts, ...doc.nativeCharts].map((c) => c.title).join('; ') });
    const ws = wb.addWorksheet(name);
    let row = writeImages(wb, ws, doc.charts);
    doc.nativeCharts.forEach((chart, i) => {
      const table = chartTables[i]!;
      const cols = errorCols.get(errorKey(chart))!;
      placed.push(placeChart(chart, table, sheetOf.get(table.name)!, name, cols, row));
      row += 22;
    });
  }
  writeAbout(about, doc, listed);
  if (!placed.length) return Buffer.from(await wb.xlsx.writeBuffer());
  // Stored, not deflated: the package is unpacked again to add the charts, and compressed once there.
  const stored = await wb.xlsx.writeBuffer({ zip: { compression: 'STORE' } } as ExcelJS.XlsxWriteOptions);
  return addBarCharts(Buffer.from(stored), placed);
}

/** What the streaming writer needs before the rows: the document without tables, and the one table's shape. */
export type XlsxStreamHeader = Pick<ExportDocument, 'title' | 'subtitle' | 'kind' | 'provenance'> & {
  table: Omit<Table, 'rows' | 'marks'>;
};

/**
 * One big table (raw results) through exceljs's streaming writer: each row is committed as it arrives, and the
 * next row waits while `out` is full, so memory does not grow with the rows. Column widths come from the header
 * and the first rows (the rest are not known in time).
 */
export async function writeXlsxStream(
  header: XlsxStreamHeader,
  rows: AsyncIterable<Cell[]>,
  out: Writable,
): Promise<{ rows: number }> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  newWorkbook(header, wb as unknown as ExcelJS.Workbook);
  const names = new SheetNames();
  const about = wb.addWorksheet(names.take('About'));
  const name = names.take(header.table.name);
  writeAbout(about, header, [{ name, title: header.table.title }]);
  about.commit();

  const { table } = header;
  const ws = wb.addWorksheet(name, tableSheetOptions(table));
  // Widths must precede the first row in the file: sized from the header and the formats' typical widths.
  ws.columns = table.columns.map((col) => ({
    width: Math.min(MAX_WIDTH, Math.max(displayWidth(col.label) + 4, col.format === 'text' ? 16 : 10)),
    style: NUMBER_FORMATS[col.format] ? { numFmt: NUMBER_FORMATS[col.format] } : {},
  }));
  styleHeader(ws, table.columns);
  ws.getRow(1).commit();
  let n = 0;
  for await (const row of rows) {
    const r = ws.addRow(table.columns.map((_, j) => cellValue(row[j] ?? null)));
    r.commit();
    n++;
    if (out.writableNeedDrain) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: n + 1, column: table.columns.length } };
  ws.commit();
  await wb.commit();
  return { rows: n };
}
