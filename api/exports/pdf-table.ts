import type { Column, Table } from './document.ts';
import { formatCell, formatPriority, isNumeric } from './pdf-format.ts';

/**
 * A table drawn row by row on A4 pages: one line per row (the row height is known, so page breaks are computed,
 * not measured cell by cell), the header repeated at the top of every page it continues on, key columns first,
 * numbers right-aligned, marked rows (micro/macro/overall totals) bold on a shaded band. pdfkit 0.18's own
 * doc.table neither repeats the header after a page break nor drops columns that do not fit, hence this.
 */

export interface TableFonts {
  regular: string;
  bold: string;
}

const SIZE = 7.5;
const PAD_X = 3;
const PAD_Y = 2;
const ROW_H = SIZE * 1.25 + 2 * PAD_Y;
/** A key cell (model, subject) wider than this is cut with an ellipsis. */
const KEY_MAX = 150;
const HEADER_FILL = '#e8ebef';
const MARK_FILL = '#f1f3f5';

/** pdfkit is synchronous: long work gives the event loop a turn now and then. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Rows measured between two turns of the event loop. */
const MEASURE_CHUNK = 200;

interface Laid {
  /** Indices of the shown columns, in the table's order. */
  shown: number[];
  widths: number[];
  left: Column[];
  cells: string[][];
  measure: (font: string, text: string) => number;
}

/** The text of every cell; a key left empty in a total row names the total instead ("all (micro)"). */
function cellTexts(table: Table, rows: number[]): string[][] {
  return rows.map((r) => {
    const row = table.rows[r] ?? [];
    const mark = table.marks?.[r] ?? null;
    return table.columns.map((col, c) => {
      const v = row[c] ?? null;
      if (v === null && mark !== null && c < table.keyColumns) return `all (${mark})`;
      return formatCell(v, col.format);
    });
  });
}

async function layout(
  pdf: PDFKit.PDFDocument,
  table: Table,
  rows: number[],
  fonts: TableFonts,
  width: number,
): Promise<Laid> {
  const cells = cellTexts(table, rows);
  const measured = new Map<string, number>();
  const measure = (font: string, s: string): number => {
    const k = `${font}\u0000${s}`;
    let w = measured.get(k);
    if (w === undefined) {
      w = pdf.font(font).fontSize(SIZE).widthOfString(s);
      measured.set(k, w);
    }
    return w;
  };
  // The header may wrap onto several lines, so only its longest word sets a minimum.
  const natural = table.columns.map((col) =>
    Math.max(...col.label.split(/\s+/).map((word) => measure(fonts.bold, word))),
  );
  for (let i = 0; i < cells.length; i++) {
    if (i > 0 && i % MEASURE_CHUNK === 0) await breathe();
    const font = table.marks?.[rows[i]!] ? fonts.bold : fonts.regular;
    const row = cells[i]!;
    for (let c = 0; c < row.length; c++) natural[c] = Math.max(natural[c]!, measure(font, row[c]!));
  }
  natural.forEach((w, c) => {
    natural[c] = c < table.keyColumns ? Math.min(w + 2 * PAD_X, KEY_MAX) : w + 2 * PAD_X;
  });
  const keys = table.columns.map((_, c) => c).filter((c) => c < table.keyColumns);
  let used = keys.reduce((sum, c) => sum + natural[c]!, 0);
  if (used > width) {
    // Keys alone overflow: share the width among them.
    for (const c of keys) natural[c] = (natural[c]! * width) / used;
    used = width;
  }
  const byImportance = table.columns
    .map((col, c) => ({ col, c }))
    .filter(({ c }) => c >= table.keyColumns)
    .sort((a, b) => formatPriority(a.col.format) - formatPriority(b.col.format) || a.c - b.c);
  const chosen = new Set(keys);
  for (const { c } of byImportance) {
    // In order of importance until one does not fit: what is left out is the least important.
    if (used + natural[c]! > width) break;
    chosen.add(c);
    used += natural[c]!;
  }
  const shown = [...chosen].sort((a, b) => a - b);
  const slack = (width - used) / shown.length;
  return {
    shown,
    widths: shown.map((c) => natural[c]! + slack),
    left: table.columns.filter((_, c) => !chosen.has(c)),
    cells,
    measure,
  };
}

/** The text, cut with an ellipsis where it is wider than `width`. */
function ellipsize(measure: (text: string) => number, text: string, width: number): string {
  if (measure(text) <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${text.slice(0, mid)}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/**
 * Draws `rows` of `table` from pdf.y on; `pageBreak` adds a page (and may yield to the event loop), on which
 * "<caption> (continued)" and the header come first. Returns the columns left out for width, which the caller
 * names in a note.
 */
export async function drawTable(
  pdf: PDFKit.PDFDocument,
  table: Table,
  rows: number[],
  fonts: TableFonts,
  pageBreak: () => Promise<void>,
  caption = table.title,
): Promise<Column[]> {
  const left0 = pdf.page.margins.left;
  const width = pdf.page.width - left0 - pdf.page.margins.right;
  const { shown, widths, left, cells, measure } = await layout(pdf, table, rows, fonts, width);
  const bottom = () => pdf.page.height - pdf.page.margins.bottom;

  pdf.font(fonts.bold).fontSize(SIZE);
  const headerH =
    Math.max(
      ...shown.map((c, i) => pdf.heightOfString(table.columns[c]!.label, { width: widths[i]! - 2 * PAD_X })),
    ) +
    2 * PAD_Y;

  const header = (y: number): number => {
    pdf.rect(left0, y, width, headerH).fill(HEADER_FILL).fillColor('black');
    pdf.font(fonts.bold).fontSize(SIZE);
    let x = left0;
    shown.forEach((c, i) => {
      const col = table.columns[c]!;
      pdf.text(col.label, x + PAD_X, y + PAD_Y, {
        width: widths[i]! - 2 * PAD_X,
        align: isNumeric(col.format) && c >= table.keyColumns ? 'right' : 'left',
      });
      x += widths[i]!;
    });
    return y + headerH;
  };

  let y = header(pdf.y);
  for (let i = 0; i < rows.length; i++) {
    if (y + ROW_H > bottom()) {
      await pageBreak();
      pdf.font(fonts.regular).fontSize(SIZE).fillColor('#666666');
      pdf.text(`${caption} (continued)`, left0, pdf.page.margins.top, { lineBreak: false });
      pdf.fillColor('black');
      y = header(pdf.page.margins.top + ROW_H);
    }
    const marked = Boolean(table.marks?.[rows[i]!]);
    if (marked) pdf.rect(left0, y, width, ROW_H).fill(MARK_FILL).fillColor('black');
    const font = marked ? fonts.bold : fonts.regular;
    const width1 = (text: string) => measure(font, text);
    pdf.font(font).fontSize(SIZE);
    let x = left0;
    shown.forEach((c, j) => {
      const w = widths[j]! - 2 * PAD_X;
      const text = ellipsize(width1, cells[i]![c]!, w);
      const right = isNumeric(table.columns[c]!.format) && c >= table.keyColumns;
      const tx = right ? x + PAD_X + w - width1(text) : x + PAD_X;
      pdf.text(text, tx, y + PAD_Y, { lineBreak: false });
      x += widths[j]!;
    });
    y += ROW_H;
  }
  pdf
    .moveTo(left0, y)
    .lineTo(left0 + width, y)
    .lineWidth(0.5)
    .strokeColor('#999999')
    .stroke();
  pdf.x = left0;
  pdf.y = y + 4;
  return left;
}
