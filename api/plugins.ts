import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { compareRoutes } from './routes/compare.ts';
import { itemRoutes } from './routes/items.ts';
import { resultRoutes } from './routes/results.ts';
import runsRoutes from './routes/runs.ts';
import { trendRoutes } from './routes/trends.ts';

type Plugin = (app: FastifyInstance, opts: { ctx: AppContext }) => Promise<void>;

/** Route plugins beyond the core ones (runs, compare, items), wired with the context. */
export async function extraPlugins(): Promise<Plugin[]> {
  const runs: Plugin = (app, { ctx }) =>
    runsRoutes(app, { store: ctx.record, env: ctx.config.env, policy: ctx.config.runs });
  return [compareRoutes, itemRoutes, trendRoutes, runs, resultRoutes];
}
