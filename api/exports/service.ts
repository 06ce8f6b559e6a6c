import { readFileSync, rmSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Table as ArrowTable, tableToIPC } from 'apache-arrow';
import { errors } from '../../core/errors.ts';
import { makeScratchDir } from '../../core/scratch.ts';
import type { AppContext } from '../context.ts';
import { arrowSchema, recordBatch, tableToArrowIpc } from './arrow.ts';
import { buildDocument, provenance as buildProvenance, parseKindQuery } from './build.ts';
import { copyStream, writeParquetTable } from './copy.ts';
import { csvHead, csvRows } from './csv.ts';
import type { Cell, ExportDocument, ExportFormat, Provenance, Table } from './document.ts';
import { contentDisposition, fileStem } from './file-name.ts';
import { renderDocument } from './render-pool.ts';
/** POST /exports: which answer, as which file. `query` is validated by the schema of the endpoint `kind` names. */
import { ExportRequest } from './request.ts';
import { countResults, type ResultsSelection, selectResults, streamResults } from './results.ts';
import { writeXlsxStream } from './xlsx.ts';

export { ExportRequest };

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8; header=present',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.stream',
  json: 'application/json; charset=utf-8',
};

export interface ExportFile {
  contentType: string;
  disposition: string;
  provenance: Provenance;
  /** The whole file (the non-streaming kinds), or a stream that starts at once (results). */
  body: Buffer | Readable;
  /** Releases what the export holds (its DuckDB connection, scratch files) once the body is sent or abandoned. */
  release: () => Promise<void>;
}

const noop = async () => undefined;

/**
 * The main table without its micro/macro total rows: the machine formats' one row per (model, group). A
 * compare's overall rows stay: they are comparisons of their own (their groups say "overall").
 */
const plainRows = (t: Table): Cell[][] =>
  t.rows.filter((_, i) => t.marks?.[i] !== 'micro' && t.marks?.[i] !== 'macro');

export async function runExport(ctx: AppContext, req: ExportRequest): Promise<ExportFile> {
  if (req.kind === 'results') return resultsExport(ctx, req);
  const { doc, answers } = await buildDocument(ctx, req.kind, req.format, req.query);
  const file = (body: Buffer): ExportFile => ({
    contentType: CONTENT_TYPES[req.format],
    disposition: contentDisposition(doc.fileStem, req.format),
    provenance: doc.provenance,
    body,
    release: noop,
  });
  const main = doc.tables[0]!;
  switch (req.format) {
    case 'json':
      return file(Buffer.from(JSON.stringify({ ...(doc.answer as object), provenance: doc.provenance })));
    case 'csv':
      return file(
        Buffer.from(
          csvHead(main.columns, doc.provenance, { bom: req.bom, provenance: req.provenance_line }) +
            csvRows(plainRows(main)),
        ),
      );
    case 'arrow':
      return file(
        Buffer.from(
          tableToArrowIpc(main.columns, plainRows(main), { evalhouse: JSON.stringify(doc.provenance) }),
        ),
      );
    case 'parquet':
      return file(await withScratch(ctx, (conn, dir) => parquetOf(conn, dir, main, doc.provenance)));
    case 'xlsx':
    case 'pdf':
      // charts, workbook and report are laid out in a worker thread: they would hold the event loop for
      // hundreds of ms (Plot, resvg, exceljs and pdfkit are synchronous in places)
      return file(await renderDocument(doc, answers, req.format, ctx.config.exportPdfMaxRows));
  }
}

async function parquetOf(conn: DuckDBConnection, dir: string, t: Table, p: Provenance): Promise<Buffer> {
  const path = `${dir}/export.parquet`;
  await writeParquetTable(conn, t.columns, plainRows(t), p, path);
  return readFileSync(path);
}

/** Runs `fn` on a DuckDB connection and a scratch folder of its own, both released after. */
async function withScratch<T>(
  ctx: AppContext,
  fn: (conn: DuckDBConnection, dir: string) => Promise<T>,
): Promise<T> {
  const conn = await ctx.duck.connect();
  const dir = makeScratchDir('export');
  try {
    return await fn(conn, dir);
  } finally {
    conn.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The raw rows of a selection, streamed from DuckDB chunk by chunk (csv, json, arrow, parquet, xlsx): the
 * first bytes leave at once and memory does not grow with the rows. The PDF is capped instead.
 */
async function resultsExport(ctx: AppContext, req: ExportRequest): Promise<ExportFile> {
  const q = parseKindQuery('results', req.query);
  const sel = await selectResults(ctx, q);
  const now = new Date();
  const provenance = buildProvenance(
    'results',
    req.format,
    req.query,
    { data_version: ctx.analysis.dataVersion, engine: 'duckdb' },
    {
      rows: 'one row per stored result (model, run, item, sample), in storage order; outcome is correct, incorrect, unscored or error; metadata fields decoded to their types',
      text: 'responses, inputs and error texts are not exported (GET /benchmarks/{b}/items/{item}/results reads them)',
    },
    now,
  );
  const stem = fileStem([sel.benchmark, 'results', ...(q.models ?? []).slice(0, 3)], now);
  const conn = await ctx.duck.connect();
  const dir = makeScratchDir('export');
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    conn.closeSync();
    rmSync(dir, { recursive: true, force: true });
  };
  const out = (body: Buffer | Readable, ext = req.format): ExportFile => ({
    contentType: CONTENT_TYPES[req.format],
    disposition: contentDisposition(stem, ext),
    provenance,
    body,
    release,
  });
  try {
    switch (req.format) {
      case 'csv':
      case 'json':
      case 'parquet': {
        // DuckDB's own writers, into a pipe: ~10× what formatting the rows in JavaScript gives
        const { stream, done } = await copyStream(
          conn,
          req.format,
          sel.sql,
          sel.params,
          sel.columns,
          provenance,
          dir,
        );
        const head =
          req.format === 'csv'
            ? csvHead(sel.columns, provenance, { bom: req.bom, provenance: req.provenance_line })
            : req.format === 'json'
              ? `{"provenance":${JSON.stringify(provenance)},"rows":`
              : null;
        const body =
          head === null ? stream : Readable.from(framed(head, stream, req.format === 'json' ? '}\n' : ''));
        const releaseAfterCopy = async () => {
          await done.catch(() => undefined);
          await release();
        };
        return { ...out(body), release: releaseAfterCopy };
      }
      case 'arrow':
        return out(Readable.from(arrowStream(conn, sel, provenance)));
      case 'xlsx': {
        // exceljs's streaming writer into a pass-through the reply reads: a row waits while it is full
        const doc = resultsDocument(sel, provenance, stem, []);
        const { rows: _, marks: __, ...table } = doc.tables[0]!;
        const body = new PassThrough();
        writeXlsxStream({ ...doc, table }, rowsOf(streamResults(conn, sel)), body).catch((err: Error) =>
          body.destroy(err),
        );
        return out(body);
      }
      case 'pdf': {
        const n = await countResults(conn, sel);
        const cap = ctx.config.exportPdfMaxRows;
        if (n > cap) {
          throw errors.tooLarge(
            `a PDF of ${n} result rows is over EXPORT_PDF_MAX_ROWS (${cap}); narrow the selection (models, runs, filters, limit) or export csv, parquet or xlsx`,
            { rows: n, cap, setting: 'EXPORT_PDF_MAX_ROWS' },
          );
        }
        const rows: Cell[][] = [];
        for await (const chunk of streamResults(conn, sel)) rows.push(...chunk);
        const buf = await renderDocument(resultsDocument(sel, provenance, stem, rows), {}, 'pdf', cap);
        await release();
        return out(buf);
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
}

function resultsDocument(
  sel: ResultsSelection,
  provenance: Provenance,
  stem: string,
  rows: Cell[][],
): ExportDocument {
  return {
    kind: 'results',
    title: `${sel.benchmark}: stored results`,
    subtitle: `${sel.runIds.length} runs · data version ${provenance.data_version}`,
    fileStem: stem,
    provenance,
    tables: [{ name: 'results', title: 'results', columns: sel.columns, rows, keyColumns: 4 }],
    charts: [],
    nativeCharts: [],
  };
}

/** Rows one by one from chunks of rows. */
async function* rowsOf(chunks: AsyncIterable<Cell[][]>): AsyncGenerator<Cell[]> {
  for await (const chunk of chunks) yield* chunk;
}

/** A stream between a head and a tail. */
async function* framed(head: string, body: Readable, tail: string): AsyncGenerator<string | Buffer> {
  yield head;
  for await (const chunk of body) yield chunk as Buffer;
  if (tail) yield tail;
}

/**
 * An Arrow IPC stream written batch by batch: each chunk is encoded as a one-batch stream, whose schema
 * message (after the first) and end marker are cut, so the bytes sent are one stream of many batches.
 */
async function* arrowStream(conn: DuckDBConnection, sel: ResultsSelection, provenance: Provenance) {
  const schema = arrowSchema(sel.columns, { evalhouse: JSON.stringify(provenance) });
  const EOS = 8; // continuation marker 0xFFFFFFFF and a zero length
  const schemaOnly = tableToIPC(new ArrowTable(schema), 'stream');
  const schemaLength = schemaOnly.length - EOS;
  yield schemaOnly.subarray(0, schemaLength);
  for await (const rows of streamResults(conn, sel)) {
    const bytes = tableToIPC(new ArrowTable([recordBatch(schema, rows)]), 'stream');
    yield bytes.subarray(schemaLength, bytes.length - EOS);
  }
  yield schemaOnly.subarray(schemaLength);
}
