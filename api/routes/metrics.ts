import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { mysqlPoolStats } from './health.ts';

export async function metricsRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  app.get(
    '/metrics',
    {
      // public: probes and scrapers carry no credentials; the answers hold no workspace's rows
      config: { permission: 'public' },
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        response: { 200: z.string().describe('Prometheus text exposition format 0.0.4') },
      },
    },
    async (_req, reply) => {
      const m = ctx.metrics;
      const d = ctx.duckEngine.stats;
      m.poolConnections.set({ pool: 'duckdb', state: 'in_use' }, d.in_use);
      m.poolConnections.set({ pool: 'duckdb', state: 'free' }, d.free);
      m.poolConnections.set({ pool: 'duckdb', state: 'queued' }, d.queued);
      if (ctx.mysql) {
        const s = mysqlPoolStats(ctx.mysql.pool, ctx.config.mysqlPoolSize);
        m.poolConnections.set({ pool: 'mysql', state: 'in_use' }, s.in_use);
        m.poolConnections.set({ pool: 'mysql', state: 'free' }, s.free);
        m.poolConnections.set({ pool: 'mysql', state: 'queued' }, s.queued);
      }
      if (ctx.mirror) {
        try {
          const lag = await ctx.mirror.currentLag();
          m.mirrorLagRows.set(lag.rows);
          if (Number.isFinite(lag.seconds)) m.mirrorLagSeconds.set(lag.seconds);
        } catch {
          // the gauge keeps its last value; /health reports the problem
        }
      }
      reply.header('content-type', m.registry.contentType);
      return m.registry.metrics();
    },
  );
}
