/**
 * The worker thread that lays out the documents (xlsx, pdf) and renders their charts: Plot, resvg, exceljs and
 * pdfkit are CPU-bound and synchronous in places (a 57-group report held the event loop for 400–700 ms), so the
 * server hands them the finished document and gets the file's bytes back. Started by render-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { ExportAnswers } from './build.ts';
import { renderExportCharts } from './charts.ts';
import type { ExportDocument } from './document.ts';
import { writePdf } from './pdf.ts';
import { writeXlsx } from './xlsx.ts';

export interface RenderJob {
  id: number;
  doc: ExportDocument;
  answers: ExportAnswers;
  format: 'xlsx' | 'pdf';
  maxRows: number;
}
export type RenderReply =
  | { ready: true }
  | { id: number; ok: true; bytes: Uint8Array }
  | {
      id: number;
      ok: false;
      error: { message: string; code?: string; statusCode?: number; details?: unknown };
    };

parentPort?.on('message', async (job: RenderJob) => {
  try {
    const doc = { ...job.doc, charts: await renderExportCharts(job.doc, job.answers, job.format) };
    const buf = job.format === 'xlsx' ? await writeXlsx(doc) : await writePdf(doc, { maxRows: job.maxRows });
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    parentPort!.postMessage({ id: job.id, ok: true, bytes } satisfies RenderReply, [
      bytes.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    const e = err as { message: string; code?: string; statusCode?: number; details?: unknown };
    parentPort!.postMessage({
      id: job.id,
      ok: false,
      error: { message: e.message, code: e.code, statusCode: e.statusCode, details: e.details },
    } satisfies RenderReply);
  }
});

/**
 * A first report and workbook of a tiny document: pdfkit parses and subsets the fonts, exceljs and resvg set
 * up, so the first export a user asks for does not pay for it (about 0.5 s).
 */
async function warmUp(): Promise<void> {
  const doc: ExportDocument = {
    kind: 'summary',
    title: '준비 warm-up',
    subtitle: '',
    fileStem: 'warm-up',
    provenance: {
      kind: 'summary',
      format: 'pdf',
      query: {},
      api_version: '',
      data_version: '0',
      engine: 'duckdb',
      generated_at: new Date(0).toISOString(),
      methods: {},
    },
    tables: [
      {
        name: 't',
        title: 't',
        columns: [{ key: 'a', label: 'a', format: 'share' }],
        rows: [[0.5]],
        keyColumns: 0,
      },
    ],
    charts: [],
    nativeCharts: [],
  };
  await writePdf(doc);
  await writeXlsx(doc);
}

// every module is loaded and warm: the pool may say so (warmRenderWorker)
await warmUp().catch(() => undefined);
parentPort?.postMessage({ ready: true } satisfies RenderReply);
