import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { importFile } from '../../ingest/import-file.ts';
import { IMPORT_FORMATS } from '../../ingest/importers/detect.ts';
import type { ImportFormat } from '../../ingest/importers/types.ts';
import type { AppContext } from '../context.ts';

const Query = z.strictObject({
  filename: z
    .string()
    .max(255)
    .regex(/^[\w.\-=, ]+$/, 'a plain file name (letters, digits, . - _ = , space)')
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

/** Bodies up to this size are accepted (they are streamed to a temporary file, not held in memory). */
const MAX_IMPORT_BYTES = 2 * 1024 ** 3;

export async function importRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  // Import bodies are streamed untouched to the route, whatever their type.
  for (const type of [
    'application/octet-stream',
    'application/x-ndjson',
    'application/jsonl',
    'text/csv',
    'application/gzip',
  ]) {
    app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
  }
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/imports',
    {
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        summary: 'Import a results file (canonical JSONL/CSV, lm-eval samples, Inspect log, promptfoo JSON)',
        description:
          'Send the file as the body (application/octet-stream, application/x-ndjson, text/csv or application/json). ' +
          'Answers 200 with the import summary, or 400 with every invalid record (file, line, field) and nothing written.',
        querystring: Query,
      },
    },
    async (req, reply) => {
      const q = req.query;
      const dir = mkdtempSync(join(tmpdir(), 'evalhouse-import-'));
      const file = join(dir, basename(q.filename ?? 'results.jsonl'));
      try {
        const body = req.body as NodeJS.ReadableStream | object | string | undefined;
        if (body === undefined || body === null)
          throw errors.badRequest('empty body: send the file as the request body');
        if (typeof body === 'object' && 'pipe' in body)
          await pipeline(body as NodeJS.ReadableStream, createWriteStream(file));
        else {
          // application/json was parsed by fastify: write it back as the document it was
          await pipeline(
            (async function* () {
              yield typeof body === 'string' ? body : JSON.stringify(body);
            })(),
            createWriteStream(file),
          );
        }
        let summary: Awaited<ReturnType<typeof importFile>>;
        try {
          summary = await importFile(ctx.record, file, {
            format: q.format,
            skipInvalid: q.skip_invalid === 'true',
            benchmark: q.benchmark,
            model: q.model,
            run: q.run,
          });
        } catch (err) {
          // the importers name a file they cannot read (format detection, unknown format): the caller's input
          if (/^(cannot tell the format|unknown import format)/.test((err as Error).message)) {
            throw errors.badRequest((err as Error).message);
          }
          throw err;
        }
        const out = { ...summary, file: q.filename ?? basename(file) };
        ctx.metrics.importedRows.inc({ result: 'inserted' }, summary.inserted);
        ctx.metrics.importedRows.inc({ result: 'duplicate' }, summary.duplicates);
        ctx.metrics.importedRows.inc({ result: 'skipped' }, summary.skipped);
        if (!summary.committed) {
          ctx.metrics.imports.inc({ status: 'rejected' });
          throw errors.invalidImport(`${summary.errorCount} invalid record(s); nothing was imported`, {
            ...out,
            errors: summary.errors.map((e) => ({ ...e, file: out.file })),
          });
        }
        ctx.metrics.imports.inc({ status: 'committed' });
        await ctx.syncMirror(); // make the import visible to the next analysis at once
        return reply.send(out);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
