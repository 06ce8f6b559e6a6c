import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.ts';
import { ExportRequest } from '../exports/request.ts';
import { problems } from './schemas.ts';

/** POST /exports: an answer as a file (xlsx, pdf, csv, parquet, arrow, json) with its provenance. */
export async function exportRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/exports',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'An analysis, comparison, item analysis, summary or the raw results as a file',
        description:
          'The answer of the endpoint `kind` names, for `query` (validated as that endpoint validates it), as ' +
          'xlsx (About sheet, one sheet per table, matrix, a Plot chart image and a native chart), pdf (A4 ' +
          'report), csv (RFC 4180), parquet (zstd), arrow (IPC stream) or json. Every file carries its ' +
          'provenance: the query, API and data versions, time and methods. `results` streams.',
        body: ExportRequest,
        response: {
          200: z.string().describe('the file; Content-Disposition names it (benchmark, kind, levels, date)'),
          ...problems(400, 404, 503),
        },
      },
    },
    async (req, reply) => {
      // the writers load with the first export, not with the server (api/exports/request.ts)
      const { runExport } = await import('../exports/service.ts');
      const file = await runExport(await scope(req), req.body);
      reply.raw.once('close', () => void file.release());
      reply
        .header('content-type', file.contentType)
        .header('content-disposition', file.disposition)
        .header('x-evalhouse-data-version', file.provenance.data_version)
        .header('cache-control', 'no-store');
      return reply.send(file.body as never);
    },
  );
}
