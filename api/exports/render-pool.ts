import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../core/errors.ts';
import type { ExportAnswers } from './build.ts';
import type { ExportDocument } from './document.ts';
import type { RenderJob, RenderReply } from './render-worker.ts';

/**
 * One worker thread, started at the first xlsx or pdf export and kept: it loads Plot, resvg, exceljs, pdfkit and
 * the fonts once. Jobs queue in it one at a time (the machine this targets has 2 cores: the server keeps the
 * other). A worker that dies fails its jobs with a 5xx and is started again at the next one.
 */
let worker: Worker | null = null;
let ready: Promise<void> = Promise.resolve();
let nextId = 1;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();

function start(): Worker {
  // the worker runs TypeScript as the server does (tsx), whatever started this process
  const w = new Worker(new URL('./render-worker.mjs', import.meta.url));
  w.unref(); // an idle worker does not keep the process alive
  let loaded: () => void = () => undefined;
  ready = new Promise<void>((resolve) => {
    loaded = resolve;
  });
  w.on('message', (m: RenderReply) => {
    if ('ready' in m) return loaded();
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
    else if (m.error.code && m.error.statusCode && m.error.statusCode < 500)
      p.reject(new AppError(m.error.code as ErrorCode, m.error.message, m.error.details));
    else p.reject(new Error(`export rendering failed: ${m.error.message}`));
  });
  const fail = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    worker = null;
  };
  w.on('error', fail);
  w.on('exit', (code) => {
    loaded();
    fail(new Error(`the export worker exited (${code})`));
  });
  return w;
}

/** The xlsx or pdf of a document, its charts rendered from the answers, laid out off the event loop. */
export function renderDocument(
  doc: ExportDocument,
  answers: ExportAnswers,
  format: 'xlsx' | 'pdf',
  maxRows: number,
): Promise<Buffer> {
  worker ??= start();
  const id = nextId++;
  const w = worker;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // busy: keep the process alive until the reply
    const job: RenderJob = { id, doc, answers, format, maxRows };
    w.postMessage(job);
  }).finally(() => {
    if (pending.size === 0) worker?.unref();
  });
}

/** Starts the worker, if it is not running, so that it has loaded its modules before the first export. */
export function warmRenderWorker(): Promise<void> {
  worker ??= start();
  return ready;
}

/** Stops the worker (the server's close, tests). */
export async function stopRenderWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}
