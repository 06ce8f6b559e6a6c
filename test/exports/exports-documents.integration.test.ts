import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../core/types.ts';
import { type ApiFixture, openApiFixture } from '../api/fixture.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { findPython, findSoffice, libreofficeConvert, requireTool, runPython } from './xlsx-readers.ts';

/**
 * The documents POST /exports writes (xlsx, pdf) for real answers, read back with independent tools and
 * compared with what /analysis and /compare answer: openpyxl reads the workbook's cells, LibreOffice converts it
 * and keeps its native chart, poppler's pdftotext finds the numbers as the report shows them.
 */
const OUT = 'test-output/exports';
const MODELS = ['한국어-모델', 'model-b', 'model-c'];
const SUBJECTS = ['수학', '역사', 'physics'];
const records: CanonicalRecord[] = MODELS.flatMap((model, m) =>
  Array.from({ length: 45 }, (_, i) => ({
    benchmark: 'doc-bench',
    model,
    run: 'r1',
    item_id: `q${i}`,
    sample: 0,
    outcome: (i * (m + 3)) % 7 < 4 ? ('correct' as const) : ('incorrect' as const),
    correct: (i * (m + 3)) % 7 < 4,
    score: null,
    metadata: { subject: SUBJECTS[i % 3]! },
  })),
);
const query = { benchmark: 'doc-bench', levels: ['subject'] };

let fx: ApiFixture;
let tmp: { dir: string; cleanup: () => void };
beforeAll(async () => {
  fx = await openApiFixture({ mysql: false, records });
  tmp = tmpDir();
  mkdirSync(OUT, { recursive: true });
});
afterAll(async () => {
  await fx?.close();
  tmp?.cleanup();
});

async function exported(kind: string, format: string, q: object, name: string): Promise<string> {
  const res = await fx.app.inject({ method: 'POST', url: '/exports', payload: { kind, format, query: q } });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  writeFileSync(join(OUT, name), res.rawPayload);
  const path = join(tmp.dir, name);
  writeFileSync(path, res.rawPayload);
  return path;
}

const READ = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb['analysis']
rows = [[c.value for c in r] for r in ws.iter_rows()]
types = [[c.data_type for c in r] for r in ws.iter_rows(min_row=2, max_row=2)]
formats = [c.number_format for c in ws[2]]
print(json.dumps({'sheets': wb.sheetnames, 'rows': rows, 'types': types[0], 'formats': formats,
                  'freeze': ws.freeze_panes, 'filter': ws.auto_filter.ref}, ensure_ascii=False, default=str))
`;

describe('POST /exports: documents', () => {
  it('xlsx: the analysis sheet holds /analysis numbers as numbers; LibreOffice keeps the native chart', async (ctx) => {
    const python = requireTool(findPython(), 'python3 with openpyxl', ctx.skip);
    const soffice = requireTool(findSoffice(), 'LibreOffice (soffice)', ctx.skip);
    const path = await exported('analysis', 'xlsx', query, 'analysis-e2e.xlsx');
    const book = runPython<{
      sheets: string[];
      rows: unknown[][];
      types: string[];
      formats: string[];
      freeze: string;
      filter: string;
    }>(python, READ, [path]);
    expect(book.sheets[0]).toBe('About');
    expect(book.sheets).toEqual(expect.arrayContaining(['analysis', 'models', 'matrix']));
    const [header, ...rows] = book.rows as [string[], ...unknown[][]];
    const col = (key: string) => header.findIndex((h) => h === key || h === key.replace('_', ' '));
    const iAcc = header.indexOf('accuracy');
    expect(iAcc).toBeGreaterThan(0);
    expect(book.types[iAcc]).toBe('n');
    expect(book.formats[iAcc]).toContain('%');
    expect(book.freeze).toBe('C2'); // model and subject frozen
    const api = (await fx.app.inject({ method: 'POST', url: '/analysis', payload: query })).json();
    for (const a of api.rows as {
      model: string;
      groups: { subject: string };
      accuracy: number;
      n: number;
    }[]) {
      const row = rows.find((r) => r[0] === a.model && r[1] === a.groups.subject);
      expect(row, `${a.model} × ${a.groups.subject}`).toBeDefined();
      expect(row![iAcc] as number).toBeCloseTo(a.accuracy, 12);
      // an independent count: one sample per item
      const mine = records.filter((r) => r.model === a.model && r.metadata?.subject === a.groups.subject);
      expect(row![iAcc] as number).toBeCloseTo(mine.filter((r) => r.correct).length / mine.length, 12);
    }
    // the micro/macro rows follow, one pair per model
    expect(rows.filter((r) => String(r[1]).includes('micro'))).toHaveLength(MODELS.length);
    expect(col('n')).toBeGreaterThan(0);
    const out = join(tmp.dir, 'lo');
    mkdirSync(out, { recursive: true });
    libreofficeConvert(soffice, [path], 'ods', out);
    const ods = await JSZip.loadAsync(
      (await import('node:fs')).readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.ods'))!)),
    );
    // LibreOffice stores each chart it parsed as an embedded object with its own content.xml
    const charts = Object.keys(ods.files).filter((f) => /^Object \d+\/content\.xml$/.test(f));
    expect(charts.length).toBeGreaterThan(0);
    const chartXml = await ods.file(charts[0]!)!.async('string');
    expect(chartXml).toContain('chart:error-indicator');
  });

  it('pdf: qpdf accepts it, fonts embedded, the Korean names and the /compare differences as text', async (ctx) => {
    const tools = ['qpdf', 'pdffonts', 'pdftotext'];
    const missing = tools.filter((t) => spawnSync('which', [t]).status !== 0);
    requireTool(missing.length ? null : 'ok', `poppler-utils and qpdf (${missing.join(', ')})`, ctx.skip);
    const q = { benchmark: 'doc-bench', models: MODELS.slice(0, 2), levels: ['subject'] };
    const path = await exported('compare', 'pdf', q, 'compare-e2e.pdf');
    expect(spawnSync('qpdf', ['--check', path]).status).toBe(0);
    const fonts = spawnSync('pdffonts', [path], { encoding: 'utf8' })
      .stdout.split('\n')
      .slice(2)
      .filter(Boolean);
    expect(fonts.length).toBeGreaterThan(0);
    for (const f of fonts) expect(f).toMatch(/\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$/); // emb, sub
    const text = spawnSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('한국어-모델');
    expect(text).toContain('수학');
    const api = (await fx.app.inject({ method: 'POST', url: '/compare', payload: q })).json();
    for (const r of api.rows as { diff: number | null }[]) {
      if (r.diff === null) continue;
      // a difference as the report shows it: a signed percent with one decimal (no sign when it rounds to 0.0)
      const digits = Math.abs(r.diff * 100).toFixed(1);
      const sign = Number(digits) === 0 ? '' : r.diff > 0 ? '+' : '-';
      expect(text).toContain(`${sign}${digits} %`);
    }
  });
});
