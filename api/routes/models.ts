import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import { PROVIDER_KINDS } from '../../ingest/providers/models.ts';
import { ModelInputSchema, ModelPatchSchema } from '../../models/model-input.ts';
import { registryOf } from '../../models/registry.ts';
import type { KyselyModelRegistry } from '../../models/registry-store.ts';
import type { RouteOptions } from '../app.ts';
import { accessOf } from '../auth/guard.ts';
import { auditActorOf } from '../data-audit.ts';
import { WorkspaceQuery } from './account-views.ts';
import { problems } from './schemas.ts';

const Limits = z.object({
  requestsLimit: z.number().nullable(),
  requestsRemaining: z.number().nullable(),
  requestsResetMs: z.number().nullable(),
  tokensLimit: z.number().nullable(),
  tokensRemaining: z.number().nullable(),
  tokensResetMs: z.number().nullable(),
});

/** A health check as answers show it (models/types.ts HealthCheck). */
export const HealthView = z.object({
  at: z.string(),
  status: z.enum(['ok', 'error']),
  latency_ms: z.number().nullable(),
  error: z.string().nullable().describe('without the key or the URL credentials'),
  limits: Limits.nullable().describe('what the provider said is left of its rate limits'),
});

/** A registered model as every answer shows it (models/types.ts RegisteredModel): never the key. */
export const ModelView = z.object({
  id: z.number().int(),
  name: z.string(),
  provider: z.enum(PROVIDER_KINDS),
  model: z.string(),
  base_url: z.string().nullable(),
  api_key_last4: z.string().nullable().describe("`…abcd`: the key's last four characters; null: no key"),
  price_in_per_mtok: z.number().nullable().describe('USD per 1M input tokens, in effect now'),
  price_out_per_mtok: z.number().nullable(),
  price_effective_from: z.string().nullable().describe("the current price's date"),
  params: z.object({
    temperature: z.number().optional(),
    max_tokens: z.number().int().optional(),
    top_p: z.number().optional(),
    seed: z.number().int().optional(),
  }),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  health: HealthView.nullable().describe('the latest check'),
});

const PricePointView = z.object({
  price_in_per_mtok: z.number(),
  price_out_per_mtok: z.number(),
  effective_from: z.string(),
});

export const ModelId = z.strictObject({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
});

/** The registry of the request's workspace (its own database), auditing as that workspace. */
export async function requestRegistry(
  scope: RouteOptions['scope'],
  req: FastifyRequest,
): Promise<KyselyModelRegistry> {
  return registryOf(await scope(req), accessOf(req).workspace.id);
}

/**
 * GET/POST /models, GET/PUT/DELETE /models/{id}: the workspace's model registry (#22). Keys are
 * write-only: stored encrypted, shown as their last four characters.
 */
export async function modelRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/models',
    {
      config: { permission: 'read' },
      schema: {
        summary: "The workspace's registered models, by name, each with its current price and latest health",
        querystring: WorkspaceQuery.extend({
          active: z.enum(['true', 'false']).optional().describe('true: active models only'),
        }),
        response: { 200: z.object({ models: z.array(ModelView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      return { models: await registry.list({ activeOnly: req.query.active === 'true' }) };
    },
  );

  r.post(
    '/models',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Registers a model: provider, model id, base URL (checked), API key (stored encrypted), prices, default parameters',
        querystring: WorkspaceQuery,
        body: ModelInputSchema,
        response: { 201: ModelView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const registry = await requestRegistry(scope, req);
      return reply.code(201).send(await registry.create(req.body, auditActorOf(req)));
    },
  );

  r.get(
    '/models/:id',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'A registered model, with its prices over time (oldest first)',
        params: ModelId,
        querystring: WorkspaceQuery,
        response: {
          200: ModelView.extend({ prices: z.array(PricePointView) }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      const m = await registry.get(req.params.id);
      if (!m) throw errors.notFound('model', String(req.params.id));
      return { ...m, prices: await registry.prices(m.id) };
    },
  );

  r.put(
    '/models/:id',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Changes a model: any field; a price change adds a price from price_effective_from (default now); api_key null removes the key',
        params: ModelId,
        querystring: WorkspaceQuery,
        body: ModelPatchSchema,
        response: { 200: ModelView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      const m = await registry.update(req.params.id, req.body, auditActorOf(req));
      if (!m) throw errors.notFound('model', String(req.params.id));
      return m;
    },
  );

  r.delete(
    '/models/:id',
    {
      config: { permission: 'write' },
      schema: {
        summary: 'Removes a model from the registry, with its prices and health history',
        params: ModelId,
        querystring: WorkspaceQuery,
        response: { 200: z.object({ deleted: z.literal(true) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const registry = await requestRegistry(scope, req);
      if (!(await registry.delete(req.params.id, auditActorOf(req))))
        throw errors.notFound('model', String(req.params.id));
      return { deleted: true as const };
    },
  );
}
