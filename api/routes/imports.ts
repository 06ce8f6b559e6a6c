import { createWriteStream, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, errors } from '../../core/errors.ts';
import { makeScratchDir } from '../../core/scratch.ts';
import { ImportSummarySchema, importFile } from '../../ingest/import-file.ts';
import { IMPORT_FORMATS } from '../../ingest/importers/detect.ts';
import type { ImportFormat } from '../../ingest/importers/types.ts';
import type { RouteOptions } from '../app.ts';
import { dataAudit } from '../data-audit.ts';
import { problems } from './schemas.ts';
import { fileNameFor, UPLOAD_TYPES } from './upload-name.ts';

const Query = z.strictObject({
  filename: z
    .string()
    .max(255)
    .regex(
      /^[\p{L}\p{M}\p{N}_.\-=,+@~()[\] ]+$/u,
      'a plain file name (letters, digits, space, . - _ = , + @ ~ ( ) [ ])',
    )
    // the scratch file is this name plus up to 12 bytes of extension (.jsonl.gz, .gz): 255 bytes at most
    .refine((n) => Buffer.byteLength(n) <= 240, 'at most 240 bytes (UTF-8)')
    .refine((n) => !/^[. ]*$/.test(n), 'a file name, not "." or ".."')
    .optional()
    .describe(
      'the original file name; its extension and name help detect the format (default results.jsonl)',
    ),
  format: z.enum(IMPORT_FORMATS as [ImportFormat, ...ImportFormat[]]).optional(),
  skip_invalid: z.enum(['true', 'false']).optional(),
  benchmark: z.string().min(1).max(191).optional(),
  model: z.string().min(1).max(191).optional(),
  run: z.string().min(1).max(191).optional(),
});

/** An import arriving while IMPORT_CONCURRENCY run waits this long for one to end, then gets a 503. */
const QUEUE_WAIT_MS = 1000;
const RETRY_AFTER_S = 5;
/** Parsing and validation give other requests a turn after this much work. */
const SLICE_MS = 5;

/** Counts the bytes passing through; fails past the limit. */
function byteLimit(limit: number): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > limit) cb(errors.uploadTooLarge(limit));
      else cb(null, chunk);
    },
  });
}

/** Slots for the imports running at once; a caller waits up to `waitMs` for one. */
function importSlots(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire(waitMs: number): Promise<boolean> {
      if (active < limit) {
        active++;
        return true;
      }
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          active++;
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(wake), 1);
          resolve(false);
        }, waitMs);
        waiting.push(wake);
      });
    },
    release(): void {
      active--;
      waiting.shift()?.();
    },
  };
}

export async function importRoutes(app: FastifyInstance, { ctx, scope }: RouteOptions) {
  // Import bodies reach the route as the raw stream, whatever their type (JSON too: it is streamed to the
  // temporary file within the same limit as the others); the route answers 415 for types it does not read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  // one set of slots for the server, whatever the workspace: they bound its memory and disk
  const slots = importSlots(ctx.config.imports.concurrency);
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/imports',
    {
      // bodies are streamed to a temporary file, not held in memory: the route counts their bytes itself
      bodyLimit: ctx.config.imports.maxUploadBytes,
      config: { permission: 'write' },
      schema: {
        summary: 'Import a results file (canonical JSONL/CSV, lm-eval samples, Inspect log, promptfoo JSON)',
        description:
          `Send the file as the body with its Content-Type (${UPLOAD_TYPES.join(', ')}), and ` +
          'Content-Encoding: gzip if it is compressed; ?filename= is a hint (its extension refines the type). ' +
          'Answers 200 with the import summary, or 400 with every invalid record (file, line, field) and nothing written; ' +
          '415 for other types; 503 with Retry-After when IMPORT_CONCURRENCY imports are running. A client that ' +
          'disconnects while the file is uploaded or written abandons the import: nothing of it is kept.',
        querystring: Query,
        response: { 200: ImportSummarySchema, ...problems(400, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const ws = await scope(req);
      const name = fileNameFor(req.headers['content-type'], req.headers['content-encoding'], q.filename);
      if (!(await slots.acquire(QUEUE_WAIT_MS))) {
        reply.header('retry-after', String(RETRY_AFTER_S));
        throw errors.importsBusy(ctx.config.imports.concurrency, RETRY_AFTER_S);
      }
      // The client going away before the answer abandons the import (its writes are rolled back).
      const abandon = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abandon.abort(new Error('the client disconnected'));
      };
      reply.raw.on('close', onClose);
      const dir = makeScratchDir('import');
      const file = join(dir, name);
      try {
        const body = req.body as NodeJS.ReadableStream | undefined;
        if (!body || typeof body !== 'object' || !('pipe' in body))
          throw errors.badRequest('empty body: send the file as the request body');
        await pipeline(body, byteLimit(ctx.config.imports.maxUploadBytes), createWriteStream(file), {
          signal: abandon.signal,
        });
        const fileName = q.filename ?? basename(file);
        // format detection refuses a file it cannot tell with a coded error (UNKNOWN_FORMAT): the caller's input
        const summary = await importFile(ws.record, file, {
          // the entry commits with the import; a refused or abandoned import writes none
          onCommit: dataAudit(ws.record, req).hook('import.create', `import:${fileName}`, (c) => ({
            after: { file: fileName, ...c },
          })),
          format: q.format,
          skipInvalid: q.skip_invalid === 'true',
          benchmark: q.benchmark,
          model: q.model,
          run: q.run,
          signal: abandon.signal,
          limits: ctx.config.imports.limits,
          maxErrors: ctx.config.imports.maxErrors,
          keepBytes: ctx.config.imports.keepBytes,
          batchSize: ctx.config.imports.batchRows,
          batchBytes: ctx.config.imports.batchBytes,
          sliceMs: SLICE_MS,
          bulk: ctx.config.imports.bulk,
        });
        const out = { ...summary, file: fileName };
        ctx.metrics.importedRows.inc({ result: 'inserted' }, summary.inserted);
        ctx.metrics.importedRows.inc({ result: 'duplicate' }, summary.duplicates);
        ctx.metrics.importedRows.inc({ result: 'skipped' }, summary.skipped);
        if (!summary.committed) {
          ctx.metrics.imports.inc({ status: 'rejected' });
          const why = summary.stoppedEarly
            ? `stopped after ${summary.errorCount} invalid record(s) (IMPORT_MAX_ERRORS; ${summary.read} record(s) read)`
            : `${summary.errorCount} invalid record(s)`;
          throw errors.invalidImport(`${why}; nothing was imported`, {
            ...out,
            errors: summary.errors.map((e) => ({ ...e, file: out.file })),
          });
        }
        ctx.metrics.imports.inc({ status: 'committed' });
        await ws.syncMirror(); // make the import visible to the next analysis at once
        return reply.send(out);
      } catch (err) {
        if (abandon.signal.aborted && !(err instanceof AppError)) {
          ctx.metrics.imports.inc({ status: 'abandoned' });
          // nobody reads this answer; it keeps the abandonment out of the 5xx
          throw errors.badRequest('the client disconnected before the import ended; nothing of it was kept');
        }
        throw err;
      } finally {
        reply.raw.off('close', onClose);
        rmSync(dir, { recursive: true, force: true });
        slots.release();
      }
    },
  );
}
