import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { fontFiles } from '../../charts/fonts.ts';
import { errors } from '../../core/errors.ts';
import { csvHead, csvRows } from './csv.ts';
import type { Chart, ExportDocument, Provenance, Table } from './document.ts';
import { plainLayout } from './pdf-fonts.ts';
import { breathe, drawTable } from './pdf-table.ts';

/**
 * The PDF report (pdfkit): an A4 document a reviewer reads and forwards. Cover (title, query, versions), a
 * summary table, per table its charts as vector graphics and the table itself, method notes, "page i of n" on
 * every page, document metadata, and the query and the main table attached as files so the report can be re-run
 * and its numbers reused. One font, Pretendard (OFL, covers Hangul), embedded as a subset (pdfkit subsets TTFs).
 */

/**
 * A PDF is laid out in memory, row by row: beyond EXPORT_PDF_MAX_ROWS (core/config.ts) it is the wrong format
 * (csv, parquet, xlsx carry any size). This is the default when the caller gives none.
 */
const DEFAULT_MAX_ROWS = 5_000;

/**
 * Fonts are named by their file: pdfkit caches a font under the name it is asked for, and a second name for the
 * same file (registerFont) makes it open and parse the 2.7 MB file again on every font switch.
 */
const { regular: REGULAR, bold: BOLD } = fontFiles();
const MARGIN = { top: 56, bottom: 56, left: 48, right: 48 };
const GREY = '#555555';

/** The table as the csv export writes it (RFC 4180, text neutralised), without the provenance line. */
export function tableCsv(table: Table, provenance: Provenance): string {
  return csvHead(table.columns, provenance, { provenance: false }) + csvRows(table.rows);
}

export function pdfAttachmentNames(doc: ExportDocument): { query: string; csv: string } {
  return { query: `${doc.fileStem}.query.json`, csv: `${doc.fileStem}.csv` };
}

export async function writePdf(doc: ExportDocument, opts: { maxRows?: number } = {}): Promise<Buffer> {
  const rowCount = doc.tables.reduce((n, t) => n + t.rows.length, 0);
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  if (rowCount > maxRows) {
    throw errors.tooLarge(
      `a PDF report holds at most ${maxRows} table rows (EXPORT_PDF_MAX_ROWS) and this export has ${rowCount}; ` +
        'ask for csv, parquet or xlsx, or narrow the query',
      { rows: rowCount, cap: maxRows, setting: 'EXPORT_PDF_MAX_ROWS', formats: ['csv', 'parquet', 'xlsx'] },
    );
  }
  const p = doc.provenance;
  const generated = new Date(p.generated_at);
  const created = Number.isNaN(generated.getTime()) ? new Date() : generated;
  const pdf = new PDFDocument({
    size: 'A4',
    margins: MARGIN,
    bufferPages: true,
    displayTitle: true,
    // The default font would otherwise be Helvetica: a standard font that is neither embedded nor covers Hangul.
    font: REGULAR,
    info: {
      Title: doc.title,
      Subject: doc.subtitle,
      Keywords: [
        ...new Set([
          'evalhouse',
          doc.kind,
          `data version ${p.data_version}`,
          p.engine,
          ...doc.tables.map((t) => t.name),
        ]),
      ]
        .filter(Boolean)
        .join(', '),
      Author: 'evalhouse',
      Creator: `evalhouse ${p.api_version}`,
      CreationDate: created,
      ModDate: created,
    },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  plainLayout(pdf, BOLD);
  plainLayout(pdf, REGULAR);
  const tableFonts = { regular: REGULAR, bold: BOLD };
  const width = pdf.page.width - MARGIN.left - MARGIN.right;
  const pageBreak = async () => {
    pdf.addPage();
    await breathe();
  };
  const heading = (text: string, size = 14) => {
    pdf.font(BOLD).fontSize(size).fillColor('black').text(text, MARGIN.left, pdf.y, { width });
    pdf.moveDown(0.4);
  };
  const room = (height: number) => pdf.y + height <= pdf.page.height - MARGIN.bottom;

  // Cover.
  pdf.font(BOLD).fontSize(20).text(doc.title, { width });
  pdf.moveDown(0.2);
  pdf.font(REGULAR).fontSize(11).fillColor(GREY).text(doc.subtitle, { width });
  pdf.moveDown(1);
  const facts: [string, string][] = [
    ['Kind', doc.kind],
    ['Data version', p.data_version],
    ['API version', p.api_version],
    ['Engine', p.engine],
    ['Generated at', p.generated_at],
  ];
  for (const [label, value] of facts) {
    pdf.font(BOLD).fontSize(9).fillColor('black').text(`${label}: `, { continued: true });
    pdf.font(REGULAR).text(value);
  }
  pdf.moveDown(1);
  heading('Query', 11);
  pdf
    .font(REGULAR)
    .fontSize(8)
    .fillColor('black')
    .text(JSON.stringify(p.query, null, 2), { width });
  pdf.moveDown(1);

  // Summary: the main table's totals, or the main table itself when it has none (then it is not repeated).
  const main = doc.tables[0];
  const mainRows = main ? main.rows.map((_, i) => i) : [];
  const totals = main ? mainRows.filter((i) => main.marks?.[i]) : [];
  const summaryIsMain = main !== undefined && totals.length === 0;
  if (main) {
    if (!room(80)) await pageBreak();
    pdf.outline.addItem('Summary');
    heading('Summary', 14);
    pdf.font(REGULAR).fontSize(8).fillColor(GREY);
    const caption = summaryIsMain ? main.title : `${main.title}: totals`;
    pdf.text(caption, { width });
    pdf.moveDown(0.3);
    const rows = summaryIsMain ? mainRows : totals;
    const left = await drawTable(pdf, main, rows, tableFonts, pageBreak, caption);
    leftOutNote(
      pdf,
      left.map((c) => c.label),
      true,
    );
  }

  // Per table: its charts (vector), then the table.
  for (const [t, table] of doc.tables.entries()) {
    const charts = doc.charts.filter((c) => (c.table ?? main?.name) === table.name);
    const drawRows = !(t === 0 && summaryIsMain);
    if (charts.length === 0 && !drawRows) continue;
    await pageBreak();
    pdf.outline.addItem(table.title);
    heading(table.title, 14);
    for (const chart of charts) await drawChart(pdf, chart, width, pageBreak);
    if (drawRows) {
      if (!room(60)) await pageBreak();
      const left = await drawTable(
        pdf,
        table,
        table.rows.map((_, i) => i),
        tableFonts,
        pageBreak,
      );
      leftOutNote(
        pdf,
        left.map((c) => c.label),
        t === 0,
      );
    }
  }
  // Charts that name no table of this document still belong in the report.
  const names = new Set(doc.tables.map((t) => t.name));
  const orphans = doc.charts.filter((c) => c.table !== undefined && !names.has(c.table));
  if (orphans.length > 0 || (main === undefined && doc.charts.length > 0)) {
    await pageBreak();
    pdf.outline.addItem('Charts');
    heading('Charts', 14);
    for (const chart of main === undefined ? doc.charts : orphans)
      await drawChart(pdf, chart, width, pageBreak);
  }

  // Method notes, then what each column means (from the catalogue's descriptions).
  await pageBreak();
  pdf.outline.addItem('Method notes');
  heading('Method notes', 14);
  for (const [name, text] of Object.entries(p.methods)) {
    pdf.font(BOLD).fontSize(9).fillColor('black').text(name, { width });
    pdf.font(REGULAR).fontSize(9).text(text, { width });
    pdf.moveDown(0.5);
  }
  const described = new Map<string, string>();
  for (const table of doc.tables) {
    for (const col of table.columns) {
      if (col.description && !described.has(col.label)) described.set(col.label, col.description);
    }
  }
  if (described.size > 0) {
    pdf.moveDown(0.5);
    heading('Columns', 11);
    for (const [label, description] of described) {
      pdf.font(BOLD).fontSize(8.5).text(`${label}: `, { width, continued: true });
      pdf.font(REGULAR).text(description);
    }
  }
  const files = pdfAttachmentNames(doc);
  pdf.moveDown(1);
  pdf
    .font(REGULAR)
    .fontSize(8.5)
    .fillColor(GREY)
    .text(
      `Attached to this file: ${files.query} (the query as sent: POST /exports with kind "${doc.kind}" and ` +
        'this query makes this export again)' +
        (main ? ` and ${files.csv} (the table "${main.title}", every column).` : '.'),
      { width },
    );

  // Attachments: the query exactly as sent, and the main table with all its columns.
  pdf.file(Buffer.from(`${JSON.stringify(p.query, null, 2)}\n`), {
    name: files.query,
    type: 'application/json',
    description: 'the query as sent',
    creationDate: created,
    modifiedDate: created,
  });
  if (main) {
    pdf.file(Buffer.from(tableCsv(main, p)), {
      name: files.csv,
      type: 'text/csv',
      description: `${main.title} (CSV, RFC 4180, UTF-8)`,
      creationDate: created,
      modifiedDate: created,
    });
  }

  // Page numbers, drawn last so that n is known; the footer lies in the bottom margin, which pdfkit would
  // otherwise treat as the end of the page and break onto a new one.
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const bottom = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    const y = pdf.page.height - 36;
    pdf.font(REGULAR).fontSize(7.5).fillColor(GREY);
    pdf.text(doc.title, MARGIN.left, y, { width: width * 0.7, lineBreak: false, ellipsis: true, height: 10 });
    pdf.text(`page ${i + 1} of ${range.count}`, MARGIN.left, y, { width, align: 'right', lineBreak: false });
    pdf.page.margins.bottom = bottom;
  }
  await breathe();
  pdf.end();
  return done;
}

function leftOutNote(pdf: PDFKit.PDFDocument, labels: string[], attached: boolean): void {
  if (labels.length === 0) return;
  // Only the main table is attached as CSV.
  const where = attached
    ? 'The attached CSV and the xlsx and csv exports carry'
    : 'The xlsx and csv exports carry';
  pdf
    .font(REGULAR)
    .fontSize(7.5)
    .fillColor(GREY)
    .text(`Left out to fit the page: ${labels.join(', ')}. ${where} every column.`);
  pdf.fillColor('black');
}

/**
 * Plot draws axes and labels in `currentColor`. A browser (and resvg) starts `color` as black; svg-to-pdfkit
 * starts it undefined and draws nothing in currentColor, so the chart's root gets color="black" unless it has one.
 */
function withTextColor(svg: string): string {
  const root = /<svg\b[^>]*>/.exec(svg);
  if (!root || /\scolor\s*=/.test(root[0])) return svg;
  return `${svg.slice(0, root.index)}<svg color="black"${svg.slice(root.index + 4)}`;
}

/** A chart scaled to the text width (or down to the page height), drawn as vector paths and text. */
async function drawChart(
  pdf: PDFKit.PDFDocument,
  chart: Chart,
  width: number,
  pageBreak: () => Promise<void>,
): Promise<void> {
  const titleH = 16;
  const maxH = pdf.page.height - MARGIN.top - MARGIN.bottom - titleH;
  let w = width;
  let h = (chart.height * width) / chart.width;
  if (h > maxH) {
    w = (w * maxH) / h;
    h = maxH;
  }
  if (pdf.y + titleH + h > pdf.page.height - MARGIN.bottom) await pageBreak();
  pdf.font(BOLD).fontSize(10).fillColor('black').text(chart.title, MARGIN.left, pdf.y, { width });
  const y = pdf.y + 2;
  SVGtoPDF(pdf, withTextColor(chart.svg), MARGIN.left, y, {
    width: w,
    height: h,
    preserveAspectRatio: 'xMinYMin meet',
    // Every chart text in the report's font: the bundled one covers Hangul, PDF standard fonts do not.
    fontCallback: (_family, bold) => (bold ? BOLD : REGULAR),
    // Unsupported SVG features are skipped; the chart's PNG in the xlsx shows the full rendering.
    warningCallback: () => {},
  });
  pdf.x = MARGIN.left;
  pdf.y = y + h + 10;
}
