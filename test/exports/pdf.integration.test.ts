import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Cell, ColumnFormat, ExportDocument, Table } from '../../api/exports/document.ts';
import { pdfAttachmentNames, writePdf } from '../../api/exports/pdf.ts';
import { AppError } from '../../core/errors.ts';
import { CHART_NOTE, KOREAN_MODEL, KOREAN_SUBJECT, reportDocument } from './pdf-document.ts';

/**
 * The PDF report read back with independent tools: qpdf (structure), poppler's pdffonts (fonts embedded and
 * subset), pdftotext (the Korean names and every table row as the table shows it, formatted here by a second
 * implementation), pdfinfo (metadata, pages), pdfdetach (the attached query and CSV), pdfimages (charts are
 * vector, not pictures). The files stay in test-output/exports/ for a reviewer.
 */
const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'exports');
const TOOLS = ['qpdf', 'pdffonts', 'pdftotext', 'pdfinfo', 'pdfdetach', 'pdfimages'];
const missing = TOOLS.filter((t) => spawnSync('which', [t]).status !== 0);

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
/** pdftotext writes the thin group separator as a space; compare text with all runs of spaces as one. */
const squash = (s: string): string => s.replace(/[\s\u202f]+/g, ' ').trim();

/** The table's display rules, written again here (pdf-format.ts is the implementation under test). */
function shown(v: Cell, format: ColumnFormat): string {
  if (v === null) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  const group = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const fixed = (x: number, d: number) => {
    const [i, f] = Math.abs(x).toFixed(d).split('.');
    return `${x < 0 && Number(Math.abs(x).toFixed(d)) !== 0 ? '-' : ''}${group(i!)}${f ? `.${f}` : ''}`;
  };
  switch (format) {
    case 'share':
      return `${(v * 100).toFixed(1)} %`;
    case 'signed_share': {
      const t = (v * 100).toFixed(1);
      const zero = Number(t) === 0;
      return zero ? '0.0 %' : `${v > 0 ? '+' : ''}${t} %`;
    }
    case 'pvalue':
      return v < 1e-4 ? '< 0.0001' : v.toFixed(4);
    case 'count':
    case 'ms':
    case 'tokens':
      return fixed(Math.round(v), 0);
    case 'usd':
      return `$${fixed(v, Math.abs(v) >= 1 ? 2 : 4)}`;
    case 'number':
      return Math.abs(v) >= 1000 || Number.isInteger(v)
        ? fixed(v, 0)
        : Math.abs(v) >= 100
          ? v.toFixed(1)
          : v.toPrecision(3);
    default:
      return String(v);
  }
}

function rowText(table: Table, r: number, columns: number[]): string {
  const row = table.rows[r]!;
  const mark = table.marks?.[r] ?? null;
  return squash(
    columns
      .map((c) => {
        const v = row[c] ?? null;
        return v === null && mark !== null && c < table.keyColumns
          ? `all (${mark})`
          : shown(v, table.columns[c]!.format);
      })
      .join(' '),
  );
}

describe('PDF tools', () => {
  it('are installed (CI must have them: apt-get install -y qpdf poppler-utils)', () => {
    if (missing.length > 0 && !process.env.CI) {
      console.warn(`PDF tools missing (${missing.join(', ')}): the PDF read-back tests are skipped`);
      return;
    }
    expect(missing).toEqual([]);
  });
});

describe.skipIf(missing.length > 0)('writePdf: a 14-model × 57-subject report', () => {
  const doc = reportDocument();
  const main = doc.tables[0]!;
  const file = join(OUT, 'report-14x57.pdf');
  let pdf: Buffer;
  let pages: string[];
  let text: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const started = performance.now();
    pdf = await writePdf(doc);
    // A figure for the reader, not an assertion (tests never assert timings).
    console.log(`14 × 57 report: ${(performance.now() - started).toFixed(0)} ms, ${pdf.length} bytes`);
    writeFileSync(file, pdf);
    text = run('pdftotext', ['-layout', file, '-']);
    // pdftotext ends each page with a form feed.
    pages = text.split('\f');
  });

  it('passes qpdf --check', () => {
    const check = spawnSync('qpdf', ['--check', file], { encoding: 'utf8' });
    expect(check.stdout).toContain('No syntax or stream encoding errors');
    expect(check.status).toBe(0);
  });

  it('embeds every font as a subset, and only the bundled Pretendard', () => {
    const lines = run('pdffonts', [file]).trim().split('\n').slice(2);
    expect(lines.length).toBe(2);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      // name type... encoding emb sub uni object-id generation
      const [emb, sub, uni] = cols.slice(-5, -2);
      expect({ name: cols[0], emb, sub, uni }).toEqual({
        name: expect.stringMatching(/^[A-Z]{6}\+Pretendard-(Regular|Bold)$/),
        emb: 'yes',
        sub: 'yes',
        uni: 'yes',
      });
    }
  });

  it('stays under 300 KB', () => {
    expect(pdf.length).toBeLessThan(300 * 1024);
  });

  it('has the title, subject and keywords as metadata, and many pages', () => {
    const info = Object.fromEntries(
      run('pdfinfo', [file])
        .trim()
        .split('\n')
        .map((l) => {
          const i = l.indexOf(':');
          return [l.slice(0, i), l.slice(i + 1).trim()];
        }),
    );
    expect(info.Title).toBe(doc.title);
    expect(info.Subject).toBe(doc.subtitle);
    expect(info.Author).toBe('evalhouse');
    expect(info.Keywords).toContain('evalhouse');
    expect(info.Keywords).toContain('data version 12');
    expect(info.CreationDate).toContain('2026');
    const n = Number(info.Pages);
    // 840 rows at about 60 a page, the totals twice, the cover, two chart pages and the notes.
    expect(n).toBeGreaterThan(15);
    expect(pages.filter((p) => p.trim() !== '').length).toBe(n);
    pages
      .filter((p) => p.trim() !== '')
      .forEach((p, i) => {
        expect(p).toContain(`page ${i + 1} of ${n}`);
      });
  });

  it('shows the Korean names, the chart text, the provenance and the method notes', () => {
    expect(text).toContain(KOREAN_MODEL);
    expect(text).toContain(KOREAN_SUBJECT);
    expect(text).toContain(`Accuracy of ${KOREAN_MODEL} by subject`);
    // Drawn by svg-to-pdfkit from the chart's SVG, as text in the embedded font.
    expect(squash(text)).toContain(squash(CHART_NOTE));
    expect(text).toContain('"benchmark": "mmlu-redux"');
    expect(squash(text)).toContain('Data version: 12');
    for (const [name, note] of Object.entries(doc.provenance.methods)) {
      expect(text).toContain(name);
      expect(squash(text)).toContain(squash(note));
    }
  });

  it('draws the charts as vectors (no images in the file)', () => {
    const list = run('pdfimages', ['-list', file]).trim().split('\n');
    expect(list.length).toBe(2); // the header lines only
  });

  describe('the main table', () => {
    let keep: number[];
    let leftOut: string[];
    let keepInSummary: number[];
    beforeAll(() => {
      // One note under the summary (the totals), one under the table: each names what its page width left out.
      const notes = [...squash(text).matchAll(/Left out to fit the page: (.*?)\. The attached CSV/g)].map(
        (m) => m[1]!.split(', '),
      );
      expect(notes.length).toBe(2);
      const kept = (out: string[]) =>
        main.columns.map((_, c) => c).filter((c) => !out.includes(main.columns[c]!.label));
      leftOut = notes[1]!;
      keep = kept(leftOut);
      keepInSummary = kept(notes[0]!);
    });

    it('keeps the key columns and the important measures, names the ones left out', () => {
      expect(leftOut.length).toBeGreaterThan(0);
      const kept = keep.map((c) => main.columns[c]!.label);
      for (const label of ['model', 'subject', 'n', 'accuracy', 'ci95 low', 'ci95 high', 'vs best', 'p']) {
        expect(kept).toContain(label);
      }
      // Durations, money and flags go before counts and shares.
      expect(leftOut).toEqual(expect.arrayContaining(['refused']));
      expect(leftOut).not.toContain('accuracy');
    });

    it('has every row as a line, numbers formatted as the table shows them, totals included', () => {
      const lines = new Set(text.split('\n').map(squash));
      const absent = main.rows.map((_, r) => rowText(main, r, keep)).filter((l) => !lines.has(l));
      expect(absent).toEqual([]);
      const totals = main.rows.map((_, r) => r).filter((r) => main.marks![r] !== null);
      expect(totals.length).toBe(28);
      const absentTotals = totals.map((r) => rowText(main, r, keepInSummary)).filter((l) => !lines.has(l));
      expect(absentTotals).toEqual([]);
      // The check sees real content: a micro total of the Korean model, with its grouped count.
      const micro = main.marks!.indexOf('micro');
      expect(rowText(main, micro, keep)).toMatch(
        new RegExp(`^${KOREAN_MODEL} all \\(micro\\) \\d{2} \\d{3} `),
      );
    });

    it('repeats the header on every page it continues on', () => {
      const continued = pages.filter((p) => p.includes(`${main.title} (continued)`));
      expect(continued.length).toBeGreaterThan(10);
      const words = keep.flatMap((c) => main.columns[c]!.label.split(' '));
      for (const page of [...continued, pages[1]!]) {
        const head = squash(page.split('\n').slice(0, 6).join(' '));
        for (const w of words) expect(head).toContain(w);
      }
    });
  });

  it('carries the query and the main table as attached files', () => {
    const names = pdfAttachmentNames(doc);
    const list = run('pdfdetach', ['-list', file]).trim().split('\n');
    expect(list[0]).toBe('2 embedded files');
    const files = list.slice(1).map((l) => l.replace(/^\d+: /, ''));
    expect(files.sort()).toEqual([names.csv, names.query].sort());
    const saved = (name: string) => {
      const out = join(OUT, name);
      run('pdfdetach', ['-savefile', name, '-o', out, file]);
      return readFileSync(out, 'utf8');
    };
    expect(JSON.parse(saved(names.query))).toEqual(doc.provenance.query);
    const csv: string[][] = parse(saved(names.csv));
    expect(csv[0]).toEqual(main.columns.map((c) => c.key));
    expect(csv.length).toBe(main.rows.length + 1);
    main.rows.forEach((row, r) => {
      const back = csv[r + 1]!.map((s, c) => {
        const v = row[c] ?? null;
        if (v === null) return s === '' ? null : s;
        if (typeof v === 'number') return Number(s);
        if (typeof v === 'boolean') return s === 'true';
        return s;
      });
      expect(back).toEqual(row);
    });
  });
});

describe.skipIf(missing.length > 0)('writePdf: edges', () => {
  it('writes a valid report with no tables and no charts', async () => {
    const doc: ExportDocument = { ...reportDocument(1, 1), tables: [], charts: [] };
    const file = join(OUT, 'report-empty.pdf');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(file, await writePdf(doc));
    expect(spawnSync('qpdf', ['--check', file]).status).toBe(0);
    expect(run('pdfdetach', ['-list', file])).toContain('1 embedded files');
  });

  it('draws chart text in currentColor, as Plot draws its axes, in black', async () => {
    // Dark pixels of the chart page, rendered by poppler, with and without the chart's one text.
    const darkPixels = async (label: string) => {
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100">' +
        `<g fill="none"><text x="10" y="70" font-size="48" fill="currentColor">${label}</text></g></svg>`;
      const base = reportDocument(1, 1);
      const doc: ExportDocument = {
        ...base,
        tables: [],
        charts: [{ title: 'axis', svg, png: new Uint8Array(), width: 400, height: 100 }],
      };
      const file = join(OUT, `current-color-${label ? 'text' : 'none'}.pdf`);
      writeFileSync(file, await writePdf(doc));
      run('pdftoppm', ['-r', '30', '-gray', '-f', '2', '-l', '2', '-singlefile', file, file]);
      const pgm = readFileSync(`${file}.pgm`);
      // Binary PGM: "P5\n<w> <h>\n255\n" then one byte a pixel.
      const header = pgm.toString('latin1', 0, 32).match(/^P5\s+(\d+)\s+(\d+)\s+255\s/)!;
      return pgm.subarray(header[0].length).filter((v) => v < 128).length;
    };
    const without = await darkPixels('');
    const withText = await darkPixels('한국어 축');
    expect(withText - without).toBeGreaterThan(50);
  });

  it('refuses a report beyond its row limit with a 400 naming the formats that carry it', async () => {
    const doc = reportDocument(1, 1);
    const big: Table = {
      ...doc.tables[0]!,
      rows: Array.from({ length: 51 }, () => doc.tables[0]!.rows[0]!),
    };
    delete big.marks;
    const err = await writePdf({ ...doc, tables: [big] }, { maxRows: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'RESULT_TOO_LARGE', statusCode: 400 });
    expect((err as AppError).message).toMatch(/csv, parquet or xlsx/);
    expect((err as AppError).message).toContain('EXPORT_PDF_MAX_ROWS');
  });
});
