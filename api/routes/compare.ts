import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { CompareRequest } from '../compare/request.ts';
import { CompareResponseSchema, compare } from '../compare/service.ts';
import type { AppContext } from '../context.ts';
import { problems } from './schemas.ts';

export async function compareRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/compare',
    {
      schema: {
        summary: 'Paired comparison of models per group: difference, interval, p-values, Bayes, power',
        description:
          'Two models (diff = A − B) or several with `baseline`. Per group (0 to 3 levels) and overall: paired ' +
          'items, accuracies, the difference with its 95 % interval (clustered when the benchmark declares a ' +
          'cluster field), exact McNemar (0/1) or paired t (several samples, scores), Holm/BH-adjusted p-values, ' +
          'P(A > B) with a credible interval, and the minimum detectable difference. Groups with fewer than 2 ' +
          'paired items say `testable: false` with a reason. See docs/statistics.md.',
        body: CompareRequest,
        response: { 200: CompareResponseSchema, ...problems(400, 404, 503) },
      },
    },
    async (req) => compare(ctx.analysis, req.body),
  );
}
