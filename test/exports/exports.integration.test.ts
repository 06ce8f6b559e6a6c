import { mkdirSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopRenderWorker } from '../../api/exports/render-pool.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { type ApiFixture, openApiFixture } from '../api/fixture.ts';
import { tmpDir } from '../helpers/tmp.ts';

/**
 * POST /exports in the machine formats (csv, parquet, arrow, json), read back with independent readers (DuckDB's
 * read_csv / read_parquet, apache-arrow, JSON.parse) and compared with /analysis and with counts made here.
 * Names are Korean, formula-like and quoted on purpose. Files are kept in test-output/exports/ for a reviewer.
 */
const OUT = 'test-output/exports';
const MODELS = ['한국어-모델', '=HYPERLINK("http://x")', "o'brien-7b"];
const SUBJECTS = ['수학', '+역사', '-physics', 'law, civil'];

const records: CanonicalRecord[] = MODELS.flatMap((model, m) =>
  Array.from({ length: 60 }, (_, i) => ({
    benchmark: '한국-벤치',
    model,
    run: `${model}-r1`,
    item_id: `q${i}`,
    sample: 0,
    // deterministic and different per model: model m answers item i right when (i * (m + 2)) % 5 < 3
    outcome: (i * (m + 2)) % 5 < 3 ? ('correct' as const) : ('incorrect' as const),
    correct: (i * (m + 2)) % 5 < 3,
    score: null,
    metadata: { subject: SUBJECTS[i % 4]!, year: 2020 + (i % 3) },
    answer: i % 7 === 0 ? '@SUM(A1)' : 'B',
    latency_ms: 100 + i,
  })),
);

/** Accuracy of a model on a subject, computed from the records (one sample per item). */
function expectedAccuracy(model: string, subject: string): number {
  const mine = records.filter((r) => r.model === model && r.metadata?.subject === subject);
  return mine.filter((r) => r.correct).length / mine.length;
}

let fx: ApiFixture;
let tmp: { dir: string; cleanup: () => void };
let duck: Awaited<ReturnType<typeof DuckDBInstance.create>>;

const post = (payload: object) => fx.app.inject({ method: 'POST', url: '/exports', payload });
const query = { benchmark: '한국-벤치', levels: ['subject'] };

async function sql(text: string): Promise<Record<string, unknown>[]> {
  const c = await duck.connect();
  try {
    const r = await c.runAndReadAll(text);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
  }
}

function keep(name: string, body: Buffer | string): string {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/${name}`, body);
  const path = `${tmp.dir}/${name}`;
  writeFileSync(path, body);
  return path;
}

beforeAll(async () => {
  fx = await openApiFixture({ mysql: false, records });
  tmp = tmpDir();
  duck = await DuckDBInstance.create(':memory:');
});
afterAll(async () => {
  await fx?.close();
  tmp?.cleanup();
});

describe('POST /exports: machine formats', () => {
  it('csv: RFC 4180 with the provenance line, formulas neutralised, numbers as numbers, equal to /analysis', async () => {
    const res = await post({ kind: 'analysis', format: 'csv', query });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const disposition = String(res.headers['content-disposition']);
    expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9._-]+\.csv"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toMatch(
      /^한국-벤치_analysis_subject_\d{4}-\d\d-\d\d\.csv$/,
    );
    const text = res.body;
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
    const lines = text.split('\r\n');
    // the first line is one quoted field holding the provenance JSON
    const first = lines[0]!;
    expect(first.startsWith('"# evalhouse {')).toBe(true);
    const provenance = JSON.parse(first.slice(1, -1).replaceAll('""', '"').slice('# evalhouse '.length));
    expect(provenance.query).toEqual(query);
    expect(provenance.kind).toBe('analysis');
    expect(provenance.data_version).toBe(fx.ctx.analysis.dataVersion);
    expect(Object.keys(provenance.methods)).toEqual(expect.arrayContaining(['accuracy', 'totals']));
    // formula-like text gets an apostrophe; a negative number would stay a number (none here)
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain("'+역사");
    expect(text).toContain("'-physics");
    expect(text).toContain('"law, civil"');
    const path = keep('analysis.csv', text);
    const rows = await sql(`SELECT * FROM read_csv('${path}', skip = 1, header = true)`);
    expect(rows).toHaveLength(MODELS.length * SUBJECTS.length);
    expect(typeof rows[0]!.accuracy).toBe('number');
    const analysis = (await fx.app.inject({ method: 'POST', url: '/analysis', payload: query })).json();
    const unneutral = (s: string) => (s.startsWith("'") ? s.slice(1) : s);
    for (const r of rows) {
      const model = unneutral(String(r.model));
      const subject = unneutral(String(r.subject));
      const api = analysis.rows.find(
        (a: { model: string; groups: { subject: string } }) =>
          a.model === model && a.groups.subject === subject,
      );
      expect(api, `${model} × ${subject}`).toBeDefined();
      expect(r.accuracy).toBeCloseTo(api.accuracy, 12);
      expect(r.accuracy).toBeCloseTo(expectedAccuracy(model, subject), 12);
      expect(r.ci95_low).toBeCloseTo(api.ci95[0], 12);
      expect(Number(r.n)).toBe(api.n);
    }
  });

  it('csv: bom and provenance_line: false give a BOM then the header', async () => {
    const res = await post({ kind: 'analysis', format: 'csv', query, bom: true, provenance_line: false });
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(res.body.slice(1).startsWith('model,subject,n,')).toBe(true);
  });

  it('parquet: zstd, typed columns, the provenance in the key-value metadata (a quote in the query included)', async () => {
    const q = { ...query, models: ["o'brien-7b", '한국어-모델'] };
    const res = await post({ kind: 'analysis', format: 'parquet', query: q });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apache.parquet');
    const path = keep('analysis.parquet', res.rawPayload);
    const rows = await sql(
      `SELECT model, subject, accuracy, n FROM read_parquet('${path}') ORDER BY model, subject`,
    );
    expect(rows).toHaveLength(2 * SUBJECTS.length);
    for (const r of rows)
      expect(r.accuracy).toBeCloseTo(expectedAccuracy(String(r.model), String(r.subject)), 12);
    const meta = await sql(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}')`,
    );
    const p = JSON.parse(String(meta.find((m) => m.key === 'evalhouse')!.value));
    expect(p.query).toEqual(q);
    const codecs = await sql(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    expect(codecs.map((c) => String(c.compression).toUpperCase())).toEqual(['ZSTD']);
    const types = await sql(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(types.find((t) => t.column_name === 'accuracy')!.column_type).toBe('DOUBLE');
  });

  it('arrow: an IPC stream apache-arrow reads, provenance in the schema metadata', async () => {
    const res = await post({
      kind: 'compare',
      format: 'arrow',
      query: { benchmark: '한국-벤치', models: MODELS.slice(0, 2), levels: ['subject'] },
    });
    expect(res.statusCode).toBe(200);
    keep('compare.arrow', res.rawPayload);
    const t = tableFromIPC(res.rawPayload);
    const api = (
      await fx.app.inject({
        method: 'POST',
        url: '/compare',
        payload: { benchmark: '한국-벤치', models: MODELS.slice(0, 2), levels: ['subject'] },
      })
    ).json();
    expect(t.numRows).toBe(api.rows.length);
    const diffs = t.getChild('diff')!.toArray() as Float64Array;
    const overall = api.rows.find((r: { overall: boolean }) => r.overall);
    expect(diffs[0]).toBeCloseTo(overall.diff, 12); // overall rows first
    expect(JSON.parse(t.schema.metadata.get('evalhouse')!).kind).toBe('compare');
  });

  it('json: the answer as the endpoint gives it, with the provenance beside', async () => {
    const res = await post({ kind: 'analysis', format: 'json', query });
    const api = (await fx.app.inject({ method: 'POST', url: '/analysis', payload: query })).json();
    const body = res.json();
    expect(body.rows).toEqual(api.rows);
    expect(body.totals).toEqual(api.totals);
    expect(body.provenance.query).toEqual(query);
  });

  it('summary and items export their tables', async () => {
    const s = await post({ kind: 'summary', format: 'csv' });
    expect(s.statusCode).toBe(200);
    expect(s.body.split('\r\n')[1]).toBe('benchmark,model,n,accuracy,stderr,ci95_low,ci95_high,runs,results');
    const items = await post({ kind: 'items', format: 'csv', query: { benchmark: '한국-벤치', limit: 10 } });
    expect(items.statusCode).toBe(200);
    expect(items.body.split('\r\n').filter((l) => l !== '')).toHaveLength(2 + 10);
  });
});

describe('POST /exports: results stream', () => {
  const resultsQuery = { benchmark: '한국-벤치' };
  it('csv, parquet, json and arrow hold every stored result once, with the same values', async () => {
    const counts: Record<string, number> = {};
    for (const format of ['csv', 'parquet', 'json', 'arrow'] as const) {
      const res = await post({ kind: 'results', format, query: resultsQuery });
      expect(res.statusCode, format).toBe(200);
      const path = keep(`results.${format}`, res.rawPayload);
      if (format === 'csv') {
        const rows = await sql(
          `SELECT count(*) AS n, count(DISTINCT (model, item)) AS pairs, sum(CASE WHEN outcome = 'correct' THEN 1 ELSE 0 END) AS correct FROM read_csv('${path}', skip = 1, header = true)`,
        );
        counts.csv = Number(rows[0]!.n);
        expect(Number(rows[0]!.pairs)).toBe(records.length);
        expect(Number(rows[0]!.correct)).toBe(records.filter((r) => r.correct).length);
        expect(res.body).toContain("'@SUM(A1)");
        expect(res.body).not.toMatch(/,@SUM/);
      } else if (format === 'parquet') {
        const rows = await sql(
          `SELECT count(*) AS n, sum(latency_ms) AS lat, count(DISTINCT subject) AS subjects, min(year) AS y FROM read_parquet('${path}')`,
        );
        counts.parquet = Number(rows[0]!.n);
        expect(Number(rows[0]!.lat)).toBeCloseTo(
          records.reduce((s, r) => s + (r.latency_ms ?? 0), 0),
          6,
        );
        expect(Number(rows[0]!.subjects)).toBe(SUBJECTS.length);
        expect(Number(rows[0]!.y)).toBe(2020); // typed: an integer field is a number
      } else if (format === 'json') {
        const body = res.json();
        counts.json = body.rows.length;
        expect(body.provenance.kind).toBe('results');
        const one = body.rows.find(
          (r: { model: string; item: string }) => r.model === MODELS[0] && r.item === 'q7',
        );
        expect(one).toMatchObject({
          subject: SUBJECTS[3],
          year: 2021,
          outcome: 'incorrect',
          answer: '@SUM(A1)',
        });
      } else {
        const t = tableFromIPC(res.rawPayload);
        counts.arrow = t.numRows;
        expect(t.schema.fields.map((f) => f.name).slice(0, 4)).toEqual(['model', 'run_id', 'run', 'item']);
      }
    }
    expect(counts).toEqual({
      csv: records.length,
      parquet: records.length,
      json: records.length,
      arrow: records.length,
    });
  });

  it('a filter and a limit narrow the rows; a closed connection leaves the server answering', async () => {
    const res = await post({
      kind: 'results',
      format: 'csv',
      query: { ...resultsQuery, filters: { subject: ['수학'] }, limit: 7 },
    });
    const lines = res.body.split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2 + 7);
    expect(lines.slice(2).every((l) => l.includes(',수학,'))).toBe(true);
    const health = await fx.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  });
});

describe('POST /exports: bad requests', () => {
  it('an unknown kind or format, or an invalid query, is a 400 naming the problem', async () => {
    const kind = await post({ kind: 'everything', format: 'csv', query });
    expect(kind.statusCode).toBe(400);
    const format = await post({ kind: 'analysis', format: 'docx', query });
    expect(format.statusCode).toBe(400);
    const bad = await post({
      kind: 'analysis',
      format: 'csv',
      query: { benchmark: '한국-벤치', levels: ['subject'], measures: ['speed'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('VALIDATION_FAILED');
    expect(bad.json().message).toContain('/query/measures');
    const extra = await post({
      kind: 'results',
      format: 'csv',
      query: { benchmark: '한국-벤치', levels: ['x'] },
    });
    expect(extra.statusCode).toBe(400);
  });

  it('an unknown benchmark or field is the 404/400 the endpoint gives', async () => {
    const nb = await post({ kind: 'analysis', format: 'csv', query: { benchmark: 'nope', levels: [] } });
    expect(nb.statusCode).toBe(404);
    const nf = await post({
      kind: 'results',
      format: 'parquet',
      query: { benchmark: '한국-벤치', filters: { nope: ['x'] } },
    });
    expect(nf.statusCode).toBe(400);
    expect(nf.json().error).toBe('UNKNOWN_FIELD');
  });

  it('a pdf over EXPORT_PDF_MAX_ROWS from the render worker is the same 400; a stopped worker is started again', async () => {
    const old = fx.ctx.config.exportPdfMaxRows;
    (fx.ctx.config as { exportPdfMaxRows: number }).exportPdfMaxRows = 5;
    try {
      const res = await post({ kind: 'analysis', format: 'pdf', query });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: 'RESULT_TOO_LARGE',
        details: { setting: 'EXPORT_PDF_MAX_ROWS' },
      });
    } finally {
      (fx.ctx.config as { exportPdfMaxRows: number }).exportPdfMaxRows = old;
    }
    await stopRenderWorker();
    const again = await post({ kind: 'analysis', format: 'pdf', query });
    expect(again.statusCode).toBe(200);
    expect(again.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('a results pdf over EXPORT_PDF_MAX_ROWS is a 400 that names the setting', async () => {
    const old = fx.ctx.config.exportPdfMaxRows;
    (fx.ctx.config as { exportPdfMaxRows: number }).exportPdfMaxRows = 50;
    try {
      const res = await post({ kind: 'results', format: 'pdf', query: { benchmark: '한국-벤치' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe('RESULT_TOO_LARGE');
      expect(res.json().message).toContain('EXPORT_PDF_MAX_ROWS');
    } finally {
      (fx.ctx.config as { exportPdfMaxRows: number }).exportPdfMaxRows = old;
    }
  });
});
