import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { accountDb } from '../../accounts/account-db.ts';
import { errors } from '../../core/errors.ts';
import { providerOf, registryOf } from '../../models/registry.ts';
import type { ModelRegistry } from '../../models/types.ts';
import type { RouteOptions } from '../app.ts';
import { userOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import type { AppContext } from '../context.ts';
import { auditActorOf } from '../data-audit.ts';
import { PlaygroundHistory } from '../playground/history.ts';
import { parseClientMessage, type ServerEvent } from '../playground/protocol.ts';
import { runPlayground } from '../playground/session.ts';
import { WorkspaceQuery } from './account-views.ts';
import { problems } from './schemas.ts';

/** Where the playground finds a workspace's models: the registry of the request's workspace. */
export type PlaygroundModels = (ctx: AppContext, req: FastifyRequest) => Pick<ModelRegistry, 'callable'>;

const Params = z.object({
  temperature: z.number().optional(),
  max_tokens: z.number().optional(),
  top_p: z.number().optional(),
  seed: z.number().optional(),
});
const RunView = z.object({
  id: z.number(),
  created_at: z.string(),
  input: z.object({
    system: z.string().optional(),
    user: z.string(),
    variables: z.record(z.string(), z.string()),
    models: z.array(z.object({ id: z.number(), name: z.string(), params: Params })),
  }),
  output: z.array(
    z.object({
      id: z.number().nullable(),
      name: z.string(),
      text: z.string(),
      error: z.string().nullable(),
      ttft_ms: z.number().nullable(),
      total_ms: z.number().nullable(),
      tokens_in: z.number().nullable(),
      tokens_out: z.number().nullable(),
      cost: z.number().nullable().describe('USD: usage × the registered prices'),
    }),
  ),
});
const RunId = z.strictObject({ id: z.coerce.number().int().min(1) });

function historyOf(ctx: AppContext, req: FastifyRequest) {
  return new PlaygroundHistory(accountDb(ctx.mysql ?? ctx.duck), accessOf(req).workspace.id);
}

/**
 * The playground (issue #22): `WS /ws/playground` runs a prompt against up to four models at once and
 * streams their tokens (protocol: api/playground/protocol.ts); `GET /playground/runs[/{id}]` read the
 * caller's own last 50 runs. The upgrade is authenticated like any request (cookie or key, `write`),
 * and its Origin checked (api/security.ts).
 */
export function playgroundRoutesWith(modelsOf: PlaygroundModels) {
  return async function playgroundRoutes(app: FastifyInstance, { scope }: RouteOptions) {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/ws/playground',
      {
        websocket: true,
        config: { permission: 'write' },
        // a WebSocket, not an HTTP operation: the README's endpoint table documents it as `WS /ws/playground`
        schema: { hide: true, querystring: WorkspaceQuery },
      },
      async (socket: WebSocket, req: FastifyRequest) => {
        const ctx = await scope(req);
        const models = modelsOf(ctx, req);
        const history = historyOf(ctx, req);
        const owner = userOf(req)?.id ?? null;
        const actor = auditActorOf(req);
        let current: AbortController | null = null;
        const send = (e: ServerEvent) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e));
        };
        socket.on('close', () => current?.abort(new Error('the socket closed')));
        socket.on('message', (raw: Buffer, isBinary: boolean) => {
          const parsed = isBinary
            ? ({ ok: false, error: 'send text messages (JSON)' } as const)
            : parseClientMessage(raw);
          if (!parsed.ok) return send({ type: 'error', model: null, message: parsed.error });
          const msg = parsed.message;
          if (msg.type === 'stop') {
            current?.abort(new Error('stopped'));
            return;
          }
          if (current) {
            return send({
              type: 'error',
              model: null,
              message: 'a run is in progress: send {"type":"stop"} first',
            });
          }
          const controller = new AbortController();
          current = controller;
          const deps = {
            callable: (id: number | string) => models.callable(id),
            provider: providerOf,
            send,
            signal: controller.signal,
          };
          runPlayground(msg, deps)
            .then(async (result) => {
              const saved = result ? await history.add(owner, result.input, result.outputs, actor) : null;
              send({
                type: 'end',
                model: null,
                run_id: saved?.id ?? null,
                stopped: controller.signal.aborted,
              });
            })
            .catch((err: unknown) => {
              req.log.error({ err }, 'playground run failed');
              send({ type: 'error', model: null, message: 'internal error (logged on the server)' });
              send({ type: 'end', model: null, run_id: null, stopped: controller.signal.aborted });
            })
            .finally(() => {
              if (current === controller) current = null;
            });
        });
      },
    );

    r.get(
      '/playground/runs',
      {
        config: { permission: 'read' },
        schema: {
          summary: "The caller's last 50 playground runs, newest first: inputs, parameters and outputs",
          querystring: WorkspaceQuery,
          response: { 200: z.object({ runs: z.array(RunView) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (req) => ({ runs: await historyOf(await scope(req), req).list(userOf(req)?.id ?? null) }),
    );

    r.get(
      '/playground/runs/:id',
      {
        config: { permission: 'read' },
        schema: {
          summary: "One of the caller's playground runs (another user's is a 404)",
          params: RunId,
          querystring: WorkspaceQuery,
          response: { 200: RunView, ...problems(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const run = await historyOf(await scope(req), req).get(userOf(req)?.id ?? null, req.params.id);
        if (!run) throw errors.notFound('playground run', String(req.params.id));
        return run;
      },
    );
  };
}

/** The playground over the request's workspace registry (what buildApp registers). */
export const playgroundRoutes = playgroundRoutesWith((ctx, req) =>
  registryOf(ctx, accessOf(req).workspace.id),
);
