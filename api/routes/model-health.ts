import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { ModelSetupError } from '../../ingest/providers/registry.ts';
import { checkModel } from '../../models/health.ts';
import { providerOf } from '../../models/registry.ts';
import type { HealthCheck } from '../../models/types.ts';
import type { RouteOptions } from '../app.ts';
import { WorkspaceQuery } from './account-views.ts';
import { HealthView, ModelId, requestRegistry } from './models.ts';
import { problems } from './schemas.ts';

/**
 * POST /models/{id}/health (check now) and GET /models/{id}/health (the history, newest first): a model's
 * health (#22), the same check as the schedule's (models/health.ts). A check is an observation of the
 * provider, not a change of the workspace's data: it is recorded in the history, not in the audit log.
 */
export async function modelHealthRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/models/:id/health',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Checks a model now (lists the endpoint’s models, asks one token) and records the check in its history',
        params: ModelId,
        querystring: WorkspaceQuery,
        response: { 200: HealthView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      const m = await registry.get(req.params.id);
      if (!m) throw errors.notFound('model', String(req.params.id));
      if (!m.active)
        throw errors.conflict(
          `model "${m.name}" is inactive: activate it (PUT {"active": true}) to check it`,
        );
      let check: HealthCheck;
      try {
        const c = await registry.callable(m.id);
        if (!c) throw errors.notFound('model', String(req.params.id)); // deleted or deactivated meanwhile
        check = await checkModel(c, { providerOf });
      } catch (err) {
        if (!(err instanceof ModelSetupError)) throw err;
        // a base URL the policy now refuses, a key that no longer decrypts: the model's health, recorded
        check = {
          at: new Date().toISOString(),
          status: 'error',
          latency_ms: null,
          error: err.message,
          limits: null,
        };
      }
      await registry.recordHealth(m.id, check);
      return check;
    },
  );

  r.get(
    '/models/:id/health',
    {
      config: { permission: 'read' },
      schema: {
        summary: "A model's health checks, newest first (status, latency, error, rate limits left)",
        params: ModelId,
        querystring: WorkspaceQuery.extend({
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .max(1000)
            .default(50)
            .describe('checks at most (newest first)'),
        }),
        response: { 200: z.object({ checks: z.array(HealthView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      const m = await registry.get(req.params.id);
      if (!m) throw errors.notFound('model', String(req.params.id));
      return { checks: await registry.healthHistory(m.id, { limit: req.query.limit }) };
    },
  );
}
