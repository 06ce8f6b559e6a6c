import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteOptions } from '../app.ts';
import { CompareRequest, SeparatingRequest } from '../compare/request.ts';
import { SeparatingResponseSchema, separatingItems } from '../compare/separating.ts';
import { CompareResponseSchema, compare } from '../compare/service.ts';
import { problems } from './schemas.ts';

export async function compareRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/compare',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          'Paired comparison of models, runs or prompt versions per group: difference, interval, p-values, Bayes, power',
        description:
          'Two models (diff = A − B) or several with `baseline`; or an A/B test of `runs` (two or more of one ' +
          'benchmark) or of stored `prompt_versions` ("name@3", each the run made with it), the first being the ' +
          'baseline (diff = arm − first). Per group (0 to 3 levels) and overall: paired ' +
          'items, accuracies, the difference with its 95 % interval (clustered when the benchmark declares a ' +
          'cluster field), exact McNemar (0/1) or paired t (several samples, scores), Holm/BH-adjusted p-values, ' +
          'P(A > B) with a credible interval, the paired Bayesian A/B (Dirichlet over the 2×2 cells: P(arm better), ' +
          'its interval, expected loss of choosing it), the minimum detectable difference and the paired n needed ' +
          'for `target_difference`. Groups with fewer than 2 ' +
          'paired items say `testable: false` with a reason. See docs/statistics.md.',
        body: CompareRequest,
        response: { 200: CompareResponseSchema, ...problems(400, 404, 503) },
      },
    },
    async (req) => compare((await scope(req)).analysis, req.body),
  );
  r.post(
    '/compare/items',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'The items that separate two models: A right and B wrong, or the reverse (paged)',
        description:
          "Over /compare's selection (benchmark, runs, filters, unscored): the items where both models have a " +
          "value and A's is above B's (side a) or below (side b), widest gaps first, paged by limit and offset; " +
          "each with its metadata, and both sides' counts (with 0/1 values, /compare's discordant pairs).",
        body: SeparatingRequest,
        response: { 200: SeparatingResponseSchema, ...problems(400, 404, 503) },
      },
    },
    async (req) => separatingItems((await scope(req)).analysis, req.body),
  );
}
