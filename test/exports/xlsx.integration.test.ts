/**
 * The xlsx writer read back by independent readers: openpyxl for cell values, types, number formats, panes,
 * filters, notes and colour scales; LibreOffice headless converts the workbook and must still hold the native
 * chart with its error bar ranges (proof that it parsed a chart, not just a zip); exceljs opens it too.
 * The workbooks are left in test-output/exports/ for a reviewer.
 */
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cell, ColumnFormat, ExportDocument, Table } from '../../api/exports/document.ts';
import { writeXlsx, writeXlsxStream } from '../../api/exports/xlsx.ts';
import { sampleDocument } from './sample-document.ts';
import { findPython, findSoffice, libreofficeConvert, requireTool, runPython } from './xlsx-readers.ts';

const OUT = new URL('../../test-output/exports/', import.meta.url).pathname;

/** The formats the issue asks for, written out here rather than imported: the test holds the writer to them. */
const EXPECTED_FORMAT: Record<ColumnFormat, string> = {
  text: 'General',
  boolean: 'General',
  count: '0',
  number: '0.0000',
  share: '0.0%',
  signed_share: '+0.0%;-0.0%',
  pvalue: '0.0000',
  ms: '0',
  tokens: '#,##0',
  usd: '$0.0000',
};

/** The OWASP rule, restated: text starting with = + - @ tab or CR gets a leading apostrophe. */
function expectedText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}
function expectedCell(c: Cell): Cell {
  return typeof c === 'string' ? expectedText(c) : c;
}

interface PyCell {
  v: string | number | boolean | null;
  t: string;
  f: string;
  b: boolean;
  fill: string | null;
  note: string | null;
}
interface PySheet {
  cells: PyCell[][];
  freeze: string | null;
  filter: string | null;
  hidden: string[];
  widths: Record<string, number>;
  cf: { ref: string; rules: { type: string; cfvo: number }[] }[];
  charts: Record<string, string>[];
}
type PyBook = { sheets: string[]; ws: Record<string, PySheet> };

const DUMP = `
import json, sys, openpyxl
mode, paths = sys.argv[1], sys.argv[2:]
res = {}
for path in paths:
    wb = openpyxl.load_workbook(path, data_only=(mode == 'values'))
    book = {'sheets': wb.sheetnames, 'ws': {}}
    for ws in wb.worksheets:
        cells = []
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
            cells.append([{
                'v': c.value, 't': c.data_type, 'f': c.number_format,
                'b': bool(c.font is not None and c.font.b),
                'fill': c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == 'solid' else None,
                'note': c.comment.text if c.comment is not None else None,
            } for c in row])
        cfs = []
        for cf in ws.conditional_formatting:
            cfs.append({'ref': str(cf.sqref), 'rules': [
                {'type': r.type, 'cfvo': len(r.colorScale.cfvo) if r.colorScale is not None else 0} for r in cf.rules]})
        charts = [{
            'kind': type(ch).__name__, 'dir': ch.type, 'grouping': ch.grouping,
            'name': ch.series[0].tx.strRef.f, 'cat': ch.series[0].cat.strRef.f, 'val': ch.series[0].val.numRef.f,
            'err': ch.series[0].errBars.errValType, 'plus': ch.series[0].errBars.plus.numRef.f,
            'minus': ch.series[0].errBars.minus.numRef.f,
        } for ch in ws._charts]
        book['ws'][ws.title] = {
            'cells': cells, 'freeze': ws.freeze_panes, 'filter': ws.auto_filter.ref,
            'hidden': sorted(k for k, d in ws.column_dimensions.items() if d.hidden),
            'widths': {k: d.width for k, d in ws.column_dimensions.items()},
            'cf': cfs, 'charts': charts,
        }
    res[path] = book
print(json.dumps(res, ensure_ascii=False, default=str))
`;

function colLetter(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

describe('xlsx writer', () => {
  // 3 models × (17 subjects + micro + macro) = the 57-row table with marked rows.
  const doc = sampleDocument(3, 17);
  // No Plot images, and a sheet name that needs quoting in references: the chart gets a drawing of its own.
  const plain: ExportDocument = (() => {
    const d = sampleDocument(3, 4, 5);
    const models = { ...d.tables[1]!, name: "Bob's models" };
    return {
      ...d,
      tables: [models],
      matrix: undefined,
      charts: [],
      nativeCharts: [{ ...d.nativeCharts[0]!, table: "Bob's models", rows: [1, 2] }],
    };
  })();
  const file = join(OUT, 'analysis.xlsx');
  const plainFile = join(OUT, 'native-chart-only.xlsx');
  let buf: Buffer;
  let book: PyBook;
  let python: string | null;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    buf = await writeXlsx(doc);
    writeFileSync(file, buf);
    writeFileSync(plainFile, await writeXlsx(plain));
    python = findPython();
    if (python) book = runPython<Record<string, PyBook>>(python, DUMP, ['formulas', file])[file]!;
  });

  it('openpyxl reads every table cell back as the document has it, numbers as numbers', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    expect(book.sheets).toEqual(['About', 'By subject', 'Models', 'Matrix', 'Charts']);
    for (const table of doc.tables) {
      const ws = book.ws[table.name]!;
      expect(ws.cells[0]!.slice(0, table.columns.length).map((c) => c.v)).toEqual(
        table.columns.map((c) => c.label),
      );
      expect(ws.cells.length).toBe(table.rows.length + 1);
      table.rows.forEach((row, i) => {
        const got = ws.cells[i + 1]!.slice(0, table.columns.length);
        expect(got.map((c) => c.v)).toEqual(row.map(expectedCell));
        row.forEach((value, j) => {
          if (typeof value === 'number') expect(got[j]!.t, `${table.name} ${i},${j}`).toBe('n');
          if (typeof value === 'boolean') expect(got[j]!.t).toBe('b');
          if (typeof value === 'string') expect(got[j]!.t).toBe('s');
        });
      });
    }
    // The awkward inputs are all there: formula-like text neutralised, Korean intact, negatives, nulls.
    const flat = book.ws['By subject']!.cells.flat().map((c) => c.v);
    expect(flat).toContain("'=1+1");
    expect(flat).toContain("'-x");
    expect(flat).toContain("'@home");
    expect(flat).toContain('클로드-3.5');
    expect(flat).toContain('설명: 한국어 메모');
    expect(flat.some((v) => typeof v === 'number' && v < 0)).toBe(true);
    expect(flat).toContain(null);
    expect(flat).not.toContain('=1+1');
  });

  it('number formats by column format, bold header with notes, frozen keys, autofilter, widths', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    for (const table of doc.tables) {
      const ws = book.ws[table.name]!;
      table.columns.forEach((col, j) => {
        const header = ws.cells[0]![j]!;
        expect(header.b).toBe(true);
        expect(header.note).toBe(col.description ?? null);
        for (let i = 1; i < ws.cells.length; i++)
          expect(ws.cells[i]![j]!.f, `${table.name} ${col.key}`).toBe(EXPECTED_FORMAT[col.format]);
      });
      expect(ws.freeze).toBe(`${colLetter(table.keyColumns + 1)}2`);
      expect(ws.filter).toBe(`A1:${colLetter(table.columns.length)}${table.rows.length + 1}`);
      for (let j = 1; j <= table.columns.length; j++) {
        const w = ws.widths[colLetter(j)];
        expect(w).toBeGreaterThanOrEqual(6);
        expect(w).toBeLessThanOrEqual(61);
      }
    }
    expect(book.ws['By subject']!.freeze).toBe('C2');
    // The model column holds the longest names: wider than the 5-character "Items" count column.
    expect(book.ws['By subject']!.widths.A!).toBeGreaterThan(book.ws['By subject']!.widths.C!);
  });

  it('micro and macro rows are bold and shaded, the others not', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    const table = doc.tables[0]!;
    const ws = book.ws[table.name]!;
    const marked = table.marks!.map((m, i) => (m ? i : -1)).filter((i) => i >= 0);
    expect(marked.length).toBe(6);
    table.rows.forEach((_, i) => {
      const cells = ws.cells[i + 1]!.slice(0, table.columns.length);
      const isMarked = table.marks![i] !== null;
      expect(cells.every((c) => c.b === isMarked)).toBe(true);
      expect(cells.every((c) => (c.fill !== null && c.fill !== '00000000') === isMarked)).toBe(true);
    });
  });

  it('the About sheet carries the query as sent, the versions and every method note', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    const rows = book.ws.About!.cells.map((r) => r.map((c) => c.v));
    const byLabel = new Map(rows.filter((r) => typeof r[0] === 'string').map((r) => [r[0] as string, r[1]]));
    expect(rows[0]![0]).toBe(doc.title);
    expect(rows[1]![0]).toBe(doc.subtitle);
    expect(JSON.parse(byLabel.get('Query (as sent)') as string)).toEqual(doc.provenance.query);
    expect(byLabel.get('API version')).toBe(doc.provenance.api_version);
    expect(byLabel.get('Data version')).toBe(doc.provenance.data_version);
    expect(byLabel.get('Engine')).toBe(doc.provenance.engine);
    expect(byLabel.get('Generated at')).toBe(doc.provenance.generated_at);
    for (const [name, note] of Object.entries(doc.provenance.methods)) expect(byLabel.get(name)).toBe(note);
  });

  it('the matrix sheet: models × Level1 in percent with a 3-colour scale', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    const m = doc.matrix!;
    const ws = book.ws.Matrix!;
    expect(ws.cells[0]!.map((c) => c.v)).toEqual([m.rowLabel, ...m.columns]);
    m.rows.forEach((r, i) => {
      expect(ws.cells[i + 1]!.map((c) => c.v)).toEqual([expectedText(r), ...m.values[i]!]);
      for (const c of ws.cells[i + 1]!.slice(1)) expect(c.f).toBe('0.0%');
    });
    expect(m.values[0]![1]).toBeNull();
    expect(ws.cf).toEqual([
      {
        ref: `B2:${colLetter(m.columns.length + 1)}${m.rows.length + 1}`,
        rules: [{ type: 'colorScale', cfvo: 3 }],
      },
    ]);
    expect(ws.freeze).toBe('B2');
  });

  it('the chart helper columns are hidden formulas beside the table', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    const ws = book.ws.Models!;
    // Models: A model, B items, C accuracy, D low, E high; F = E − C (above), G = C − D (below).
    expect(ws.hidden).toEqual(['F', 'G']);
    doc.tables[1]!.rows.forEach((_, i) => {
      const r = i + 2;
      expect(ws.cells[r - 1]![5]!.v).toBe(`=E${r}-C${r}`);
      expect(ws.cells[r - 1]![6]!.v).toBe(`=C${r}-D${r}`);
    });
  });

  it('openpyxl reads the native chart: clustered columns with custom error bars over the helper ranges', (ctx) => {
    requireTool(python, 'python3 with openpyxl', ctx.skip);
    expect(book.ws.Charts!.charts).toEqual([
      {
        kind: 'BarChart',
        dir: 'col',
        grouping: 'clustered',
        name: "'Models'!$C$1",
        cat: "'Models'!$A$2:$A$4",
        val: "'Models'!$C$2:$C$4",
        err: 'cust',
        plus: "'Models'!$F$2:$F$4",
        minus: "'Models'!$G$2:$G$4",
      },
    ]);
    for (const sheet of ['About', 'By subject', 'Models', 'Matrix'])
      expect(book.ws[sheet]!.charts).toEqual([]);
  });

  it('the package holds the two images and the native chart in one drawing of the Charts sheet', async () => {
    const zip = await JSZip.loadAsync(buf);
    const names = Object.keys(zip.files);
    expect(names.filter((n) => /^xl\/media\/.*\.png$/.test(n))).toHaveLength(2);
    expect(names.filter((n) => /^xl\/charts\/chart\d+\.xml$/.test(n))).toEqual(['xl/charts/chart1.xml']);
    const drawings = names.filter((n) => /^xl\/drawings\/drawing\d+\.xml$/.test(n));
    expect(drawings).toHaveLength(1);
    const drawing = await zip.file(drawings[0]!)!.async('string');
    expect(drawing.match(/<xdr:pic>/g)).toHaveLength(2);
    expect(drawing.match(/<xdr:graphicFrame/g)).toHaveLength(1);
    const ids = [...drawing.matchAll(/<xdr:cNvPr id="(\d+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(3);
    const types = await zip.file('[Content_Types].xml')!.async('string');
    expect(types).toContain('PartName="/xl/charts/chart1.xml"');
    const chart = await zip.file('xl/charts/chart1.xml')!.async('string');
    expect(chart).toContain("<c:f>'Models'!$A$2:$A$4</c:f>");
    expect(chart).toContain("<c:plus><c:numRef><c:f>'Models'!$F$2:$F$4</c:f>");
  });

  it('LibreOffice converts both workbooks and keeps the native charts with their error bar ranges', async (ctx) => {
    const soffice = requireTool(findSoffice(), 'soffice (LibreOffice)', ctx.skip);
    const outDir = join(OUT, 'libreoffice');
    mkdirSync(outDir, { recursive: true });
    libreofficeConvert(soffice, [file, plainFile], 'xlsx', outDir);
    const converted = async (name: string) => {
      const zip = await JSZip.loadAsync(readFileSync(join(outDir, name)));
      const charts = Object.keys(zip.files).filter((n) => /^xl\/charts\/chart\d+\.xml$/.test(n));
      const xml = await Promise.all(charts.map((n) => zip.file(n)!.async('string')));
      return { zip, charts: xml.map((x) => x.replace(/&apos;/g, "'")) };
    };

    const a = await converted('analysis.xlsx');
    expect(a.charts).toHaveLength(1);
    const chart = a.charts[0]!;
    expect(chart).toContain('<c:barChart>');
    expect(chart).toMatch(/<c:errValType val="cust"\/>/);
    // LibreOffice writes the references back in its own quoting: the ranges themselves are what must survive.
    for (const range of ['$A$2:$A$4', '$C$2:$C$4', '$F$2:$F$4', '$G$2:$G$4']) {
      expect(
        [`Models!${range}`, `'Models'!${range}`].some((ref) => chart.includes(`<c:f>${ref}</c:f>`)),
        range,
      ).toBe(true);
    }
    expect(Object.keys(a.zip.files).filter((n) => n.startsWith('xl/media/'))).toHaveLength(2);

    const b = await converted('native-chart-only.xlsx');
    expect(b.charts).toHaveLength(1);
    expect(b.charts[0]!).toContain("'Bob''s models'!$C$3:$C$4");
    expect(b.charts[0]!).toContain("'Bob''s models'!$F$3:$F$4");

    // LibreOffice recalculated the helper formulas: the error bars equal high − value and value − low.
    const python3 = requireTool(python, 'python3 with openpyxl', ctx.skip);
    const conv = join(outDir, 'analysis.xlsx');
    const values = runPython<Record<string, PyBook>>(python3, DUMP, ['values', conv])[conv]!;
    const models = doc.tables[1]!;
    models.rows.forEach((row, i) => {
      const [, , acc, low, high] = row as [string, number, number, number, number];
      expect(values.ws.Models!.cells[i + 1]![5]!.v as number).toBeCloseTo(high - acc, 12);
      expect(values.ws.Models!.cells[i + 1]![6]!.v as number).toBeCloseTo(acc - low, 12);
    });
  });

  it('exceljs opens the workbook with its sheets and values', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['About', 'By subject', 'Models', 'Matrix', 'Charts']);
    const ws = wb.getWorksheet('By subject')!;
    expect(ws.getCell('D2').value).toBe(doc.tables[0]!.rows[0]![3]);
    expect(ws.getCell('A2').value).toBe('gpt-4o');
  });

  it('a native chart naming a column its table lacks is refused before anything is written', async () => {
    const bad = { ...doc, nativeCharts: [{ ...doc.nativeCharts[0]!, value: 'nope' }] };
    await expect(writeXlsx(bad)).rejects.toThrow(/column "nope"/);
  });

  it('the streaming writer lays out a big table the same way', async (ctx) => {
    const table = doc.tables[0]!;
    const n = 5_000;
    const streamFile = join(OUT, 'results-stream.xlsx');
    const row = (i: number): Cell[] => {
      const base = table.rows[i % table.rows.length]!;
      return [...base.slice(0, 2), i, ...base.slice(3)];
    };
    async function* rows() {
      for (let i = 0; i < n; i++) yield row(i);
    }
    const { rows: _rows, marks: _marks, ...shape } = table as Table;
    const out = createWriteStream(streamFile);
    const done = finished(out);
    const written = await writeXlsxStream({ ...doc, table: shape }, rows(), out);
    await done;
    expect(written.rows).toBe(n);

    const python3 = requireTool(python, 'python3 with openpyxl', ctx.skip);
    const got = runPython<{
      sheets: string[];
      rows: number;
      sample: PyCell[][];
      freeze: string;
      filter: string;
      query: string;
      header: { v: string; b: boolean; note: string | null }[];
    }>(
      python3,
      `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[wb.sheetnames[1]]
pick = {2, 3, 1000, ${n + 1}}
sample = []
count = 0
for i, r in enumerate(ws.iter_rows(min_row=2), start=2):
    count += 1
    if i in pick:
        sample.append([{'v': c.value, 't': c.data_type, 'f': c.number_format, 'b': False, 'fill': None, 'note': None} for c in r])
header = [{'v': c.value, 'b': bool(c.font.b), 'note': c.comment.text if c.comment is not None else None} for c in ws[1]]
about = wb['About']
query = next(r[1].value for r in about.iter_rows() if r[0].value == 'Query (as sent)')
print(json.dumps({'sheets': wb.sheetnames, 'rows': count, 'sample': sample, 'freeze': ws.freeze_panes,
                  'filter': ws.auto_filter.ref, 'query': query, 'header': header}, ensure_ascii=False))
`,
      [streamFile],
    );
    expect(got.sheets).toEqual(['About', 'By subject']);
    expect(got.rows).toBe(n);
    expect(got.header).toEqual(
      table.columns.map((c) => ({ v: c.label, b: true, note: c.description ?? null })),
    );
    expect(got.freeze).toBe('C2');
    expect(got.filter).toBe(`A1:${colLetter(table.columns.length)}${n + 1}`);
    expect(JSON.parse(got.query)).toEqual(doc.provenance.query);
    [0, 1, 998, n - 1].forEach((i, k) => {
      expect(got.sample[k]!.map((c) => c.v)).toEqual(row(i).map(expectedCell));
      table.columns.forEach((col, j) => {
        expect(got.sample[k]![j]!.f).toBe(EXPECTED_FORMAT[col.format]);
        if (typeof row(i)[j] === 'number') expect(got.sample[k]![j]!.t).toBe('n');
      });
    });
  });
});
