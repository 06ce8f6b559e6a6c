import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toArrowIpc } from '../analysis/arrow.ts';
import { AnalysisResponseSchema } from '../analysis/measures.ts';
import { AnalysisRequest } from '../analysis/request.ts';
import { resolveMeasures } from '../analysis/resolve.ts';
import { summarize } from '../analysis/service.ts';
import type { RouteOptions } from '../app.ts';
import { problems } from './schemas.ts';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

const Summary = z.looseObject({
  benchmarks: z.array(
    z.looseObject({
      benchmark: z.string(),
      items: z.number().int(),
      runs: z.number().int(),
      results: z.number().int(),
      models: z
        .array(
          z.looseObject({
            model: z.string(),
            n: z.number().int(),
            accuracy: z.number().nullable(),
            stderr: z.number().nullable(),
          }),
        )
        .describe("each model's row over all its items, as POST /analysis answers one; best first"),
    }),
  ),
  data_version: z.string(),
});

export async function analysisRoutes(app: FastifyInstance, { ctx, scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/analysis',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          'Per model and group: accuracy with stderr and Wilson interval, scores, latency, tokens, cost',
        description:
          'Groups by 0 to 3 metadata fields (levels; [] gives one row per model over the whole selection). Every item weighs 1; unscored answers are excluded or counted ' +
          'wrong; errors never count. Rows with a NULL level value are left out and counted in `excluded`. ' +
          `Send \`Accept: ${ARROW_STREAM}\` for the rows as an Arrow IPC stream.`,
        body: AnalysisRequest,
        response: { 200: AnalysisResponseSchema, ...problems(400, 404, 503) },
      },
    },
    async (req, reply) => {
      const ws = await scope(req);
      const { response: res, json } = await ws.analysis.analyzeJson(req.body);
      ctx.metrics.cacheRequests.inc({ result: res.meta.cached ? 'hit' : 'miss' });
      if ((req.headers.accept ?? '').includes(ARROW_STREAM)) {
        reply.header('content-type', ARROW_STREAM);
        reply.header('x-evalhouse-data-version', res.meta.data_version);
        reply.header('x-evalhouse-excluded', String(res.excluded));
        return reply.send(Buffer.from(toArrowIpc(res, resolveMeasures(req.body))) as never);
      }
      // the answer's JSON bytes, built (and cached) once: Fastify sends a Buffer as is, the schema documents it
      return reply.type('application/json; charset=utf-8').send(json as never);
    },
  );
  r.get(
    '/analysis/summary',
    {
      config: { permission: 'read' },
      schema: {
        summary: "Per benchmark: totals and each model's accuracy with stderr",
        response: { 200: Summary },
      },
    },
    async (req) => {
      const ws = await scope(req);
      return {
        // Rows keep every measure they have: the schema names those this summary promises (loose, not
        // stripped). AnalysisRow's pass@k index signature is not comparable to a loose object's, so the type
        // is asserted here; the response serializer checks the value against Summary on every answer.
        benchmarks: (await summarize(ws.analysis)) as unknown as z.infer<typeof Summary>['benchmarks'],
        data_version: ws.analysis.dataVersion,
      };
    },
  );
}
