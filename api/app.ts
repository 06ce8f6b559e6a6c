import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AccountStore } from '../accounts/types.ts';
import { accessOf, installGuard } from './auth/guard.ts';
import { installSession } from './auth/install.ts';
import type { AppContext } from './context.ts';
import { installErrorHandler } from './errors.ts';
import { loggerOptions, REQUEST_ID_HEADER, requestIdOf } from './logging.ts';
import { MAX_MESSAGE_BYTES } from './playground/protocol.ts';
import { analysisRoutes } from './routes/analysis.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { benchmarkRoutes } from './routes/benchmarks.ts';
import { compareRoutes } from './routes/compare.ts';
import { exportRoutes } from './routes/exports.ts';
import { healthRoutes } from './routes/health.ts';
import { importRoutes } from './routes/imports.ts';
import { itemRoutes } from './routes/items.ts';
import { keyRoutes } from './routes/keys.ts';
import { meRoutes } from './routes/me.ts';
import { memberRoutes } from './routes/members.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { modelHealthRoutes } from './routes/model-health.ts';
import { modelRoutes } from './routes/models.ts';
import { orgRoutes } from './routes/orgs.ts';
import { playgroundRoutes } from './routes/playground.ts';
import { promptRoutes } from './routes/prompts.ts';
import { readyRoutes } from './routes/ready.ts';
import { resultRoutes } from './routes/results.ts';
import { runsRoutes } from './routes/runs.ts';
import { schedulesRoutes } from './routes/schedules.ts';
import { settingsRoutes } from './routes/settings.ts';
import { trendRoutes } from './routes/trends.ts';
import { uiRoutes } from './routes/ui.ts';
import { workspaceRoutes } from './routes/workspaces.ts';
import { installSecurity, isUpgrade } from './security.ts';
import { defaultOnlyAccounts } from './single-workspace.ts';
import { Workspaces } from './tenancy.ts';
import { VERSION } from './version.ts';

export interface BuildOptions {
  logger?: boolean;
  /** Where the log lines go (default: stdout); tests read them. */
  logStream?: { write(line: string): void };
  /** The workspaces' contexts (default: opened here over `ctx`, closed with the app). */
  workspaces?: Workspaces;
  /** The account store (default: `ctx.accounts`; without one, the `default` workspace alone). */
  accounts?: AccountStore;
}

/**
 * What a route plugin gets: the root context (config, metrics: what is the server's, not a
 * workspace's), and `scope`, the only road to a workspace's stores: the context of the workspace the
 * guard resolved for the request (api/auth/scope.ts).
 */
export interface RouteOptions {
  ctx: AppContext;
  scope: (req: FastifyRequest) => Promise<AppContext>;
}

/** A route plugin: every one takes the server's context and the request scope, and nothing else. */
export type RoutePlugin = (app: FastifyInstance, opts: RouteOptions) => Promise<void>;

/** Every route of the API; buildApp registers each with the context. */
export const ROUTES: readonly RoutePlugin[] = [
  healthRoutes,
  // (merge of auth-session and tenancy) the sign-in routes need the store; a bare context has the default alone
  (app, { ctx }) =>
    authRoutes(app, { ctx: { config: ctx.config, accounts: ctx.accounts ?? defaultOnlyAccounts() } }),
  readyRoutes,
  metricsRoutes,
  benchmarkRoutes,
  analysisRoutes,
  importRoutes,
  compareRoutes,
  itemRoutes,
  trendRoutes,
  runsRoutes,
  promptRoutes,
  schedulesRoutes,
  resultRoutes,
  exportRoutes,
  // accounts (#21): who asks, workspaces, members, keys, the audit log, settings
  meRoutes,
  workspaceRoutes,
  orgRoutes,
  memberRoutes,
  keyRoutes,
  auditRoutes,
  settingsRoutes,
  // the model registry (#22)
  modelRoutes,
  modelHealthRoutes,
  // the playground (#22): WS /ws/playground and its history
  playgroundRoutes,
];

/** The composition root: builds the app over an opened context, without listening. */
export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger
      ? { ...loggerOptions(ctx.config), ...(opts.logStream ? { stream: opts.logStream } : {}) }
      : false,
    // x-request-id: the client's when well-formed, else a fresh UUID; in every log line and echoed back
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: 10 * 1024 * 1024,
    // path segments are names of up to 191 characters, percent-encoded: up to 12 bytes each (default: 100)
    routerOptions: { maxParamLength: 191 * 12 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  // Host, Origin and CORS checks run before every route (and before the docs)
  await installSecurity(app, ctx.config);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    ctx.metrics.httpDuration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // who asks (onRequest), then whether the route's declared permission lets them, in which workspace
  // fail closed: with sign-in on, a server without its account store would admit nobody, silently
  if (ctx.config.auth.enabled && !opts.accounts && !ctx.accounts)
    throw new Error('auth is on (AUTH) but no account store is open over the control database');
  const accounts = opts.accounts ?? ctx.accounts ?? defaultOnlyAccounts();
  const workspaces = opts.workspaces ?? new Workspaces(ctx);
  if (!opts.workspaces) app.addHook('onClose', () => workspaces.close());
  // cookies, the principal (key or session), CSRF, helmet, rate limits (api/auth/install.ts)
  await installSession(app, { config: ctx.config, accounts });
  // the web UI's files (@fastify/static takes no route config): public, as the page itself signs in
  app.addHook('onRoute', (route) => {
    if (route.url === '/' || route.url === '/*')
      route.config = { ...route.config, permission: route.config?.permission ?? 'public' };
  });
  installGuard(app, accounts);
  const scope = (req: FastifyRequest) => workspaces.context(accessOf(req).workspace);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'evalhouse',
        version: VERSION,
        description: 'Warehouse and analytics API for LLM evaluation results',
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true }, config: { permission: 'public' } }, async () =>
    app.swagger(),
  );

  // WebSocket routes (the playground): the upgrade goes through the same hooks as any request; a frame
  // beyond this closes the socket (1009), a message beyond MAX_MESSAGE_BYTES gets an error event
  await app.register(websocket, { options: { maxPayload: 4 * MAX_MESSAGE_BYTES } });
  // a refused upgrade (401, 403, 404) is an HTTP answer on a socket Node's HTTP server no longer manages:
  // once sent, close it, or it stays half-open and app.close() waits for it forever (an accepted
  // upgrade's answer is ws's 101, never this hook's)
  app.addHook('onResponse', async (req) => {
    if (isUpgrade(req)) req.raw.socket?.destroy();
  });
  for (const plugin of ROUTES) await app.register(plugin, { ctx, scope });
  // the web UI at `/` (dashboards/), under the same Host/Origin guards as the API
  await app.register(uiRoutes);
  return app;
}
