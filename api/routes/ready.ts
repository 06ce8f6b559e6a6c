import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { runReadiness } from '../readiness.ts';

/** Each check of GET /ready may take this long before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.array(
    z.object({ name: z.string(), ok: z.boolean(), ms: z.number(), error: z.string().optional() }),
  ),
  failing: z.array(z.string()).describe('names of the checks that failed'),
});

/** GET /ready: whether this replica should get traffic (store, mirror, queue); /health is liveness. */
export async function readyRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  app.get(
    '/ready',
    {
      // public: probes and scrapers carry no credentials; the answers hold no workspace's rows
      config: { permission: 'public' },
      schema: {
        summary: 'Readiness: the store, the mirror (MySQL mode) and the job queue (REDIS_URL) answer',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const checks = await runReadiness(ctx.readiness, CHECK_TIMEOUT_MS);
      const failing = checks.filter((c) => !c.ok).map((c) => c.name);
      return reply
        .code(failing.length ? 503 : 200)
        .send({ status: failing.length ? 'not_ready' : 'ready', checks, failing });
    },
  );
}
