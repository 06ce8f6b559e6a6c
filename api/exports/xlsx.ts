/**
 * The Excel writer: lays out an ExportDocument as a workbook an analyst would have made by hand. An "About"
 * sheet (title, the query as sent, versions, method notes), one sheet per table, a matrix sheet with a colour
 * scale, and a "Charts" sheet with the Plot charts as images plus native bar charts with interval error bars
 * (xlsx-chart.ts adds those: exceljs writes no charts); the sheets' layout is xlsx-sheets.ts.
 * `writeXlsxStream` writes one big table through exceljs's streaming writer, its memory flat in the rows.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { neutralise } from './cells.ts';
import type { Cell, ExportDocument, NativeChart, Table } from './document.ts';
import { finishPackage, type PlacedBarChart } from './xlsx-chart.ts';
import {
  COL_PX,
  cellValue,
  colLetter,
  displayWidth,
  MAX_WIDTH,
  NUMBER_FORMATS,
  newWorkbook,
  SheetNames,
  sheetCell,
  sheetRange,
  styleHeader,
  tableSheetOptions,
  writeAbout,
  writeImages,
  writeMatrix,
  writeTable,
} from './xlsx-sheets.ts';

/** The two hidden columns a native chart's error bars read (high − value, value − low), by chart. */
interface ErrorColumns {
  plus: number;
  minus: number;
}

/**
 * Error bar lengths for the native charts, as hidden columns after the table's: formulas over the row's cells
 * (with their results cached), so editing a bound moves the bar. Records them in `errorCols` by errorKey, so
 * two charts of the same bars share them.
 */
function addErrorColumns(
  ws: ExcelJS.Worksheet,
  table: Table,
  charts: NativeChart[],
  errorCols: Map<string, ErrorColumns>,
): void {
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
    writeTable(ws, table);
    addErrorColumns(
      ws,
      table,
      doc.nativeCharts.filter((c) => c.table === table.name),
      errorCols,
    );
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
  if (!doc.charts.length && !placed.length) return Buffer.from(await wb.xlsx.writeBuffer());
  // Stored, not deflated: the package is unpacked again for the charts and image anchors, compressed there.
  const stored = await wb.xlsx.writeBuffer({ zip: { compression: 'STORE' } } as ExcelJS.XlsxWriteOptions);
  return finishPackage(Buffer.from(stored), placed);
}

/** Rows between two waits for the zip to catch up. */
const STREAM_BATCH = 500;

const drained = (w: Writable) => new Promise<void>((resolve) => w.once('drain', resolve));

/**
 * Waits until the rows written so far have left: exceljs writes a sheet into a pass-through that the zip
 * (archiver) reads and deflates on the thread pool, without heeding backpressure, and an async iterator that
 * never yields to the event loop lets the zip run only at the end, so everything would sit in memory. We give
 * the event loop a turn, then wait while the sheet's pass-through (an exceljs internal, read defensively) or
 * the output is full.
 */
async function caughtUp(ws: ExcelJS.Worksheet, out: Writable): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const sink = (ws as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as
    | Writable
    | undefined;
  while (sink && full(sink)) await drained(sink);
  while (full(out)) await drained(out);
}

/** The pass-through is a readable-stream 2 stream, which lacks writableNeedDrain: its state has the flag. */
function full(w: Writable): boolean {
  if (w.destroyed) return false;
  const state = (w as unknown as { _writableState?: { needDrain?: boolean } })._writableState;
  return state?.needDrain ?? w.writableNeedDrain;
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
    ws.addRow(table.columns.map((_, j) => cellValue(row[j] ?? null))).commit();
    if (++n % STREAM_BATCH === 0) await caughtUp(ws, out);
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: n + 1, column: table.columns.length } };
  ws.commit();
  await wb.commit();
  return { rows: n };
}
