import type { FastifyInstance } from 'fastify';
import type mysql from 'mysql2/promise';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { mirrorLagLimitSeconds } from '../readiness.ts';
import { VERSION } from '../version.ts';

/** mysql2 keeps pool state in private fields; read them defensively. */
export function mysqlPoolStats(pool: mysql.Pool, size: number) {
  const inner = (pool as unknown as { pool?: Record<string, { length?: number }> }).pool ?? {};
  const all = inner._allConnections?.length ?? 0;
  const free = inner._freeConnections?.length ?? 0;
  const queued = inner._connectionQueue?.length ?? 0;
  return { size, open: all, in_use: all - free, free: size - (all - free), queued };
}

const Health = z.object({
  service: z.literal('evalhouse'),
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  store: z.enum(['duckdb', 'mysql']),
  data_version: z.string(),
  problems: z.array(z.string()),
  pools: z.record(
    z.string(),
    z.object({ size: z.number(), in_use: z.number(), free: z.number(), queued: z.number() }).loose(),
  ),
  mirror: z.object({ lag_rows: z.number(), lag_seconds: z.number().nullable() }).nullable(),
});

export async function healthRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }) {
  app.get(
    '/health',
    {
      // public: probes and scrapers carry no credentials; the answers hold no workspace's rows
      config: { permission: 'public' },
      schema: {
        summary:
          'Liveness and status: store, pools, mirror lag (GET /ready: whether to send this replica traffic)',
        response: { 200: Health, 503: Health },
      },
    },
    async (_req, reply) => {
      const problems: string[] = [];
      const pools: z.infer<typeof Health>['pools'] = { duckdb: ctx.duckEngine.stats };
      let mirror: z.infer<typeof Health>['mirror'] = null;
      try {
        await ctx.duckEngine.query('SELECT 1', [], 2000);
      } catch (err) {
        problems.push(`duckdb: ${(err as Error).message}`);
      }
      if (ctx.mysql) {
        pools.mysql = mysqlPoolStats(ctx.mysql.pool, ctx.config.mysqlPoolSize);
        try {
          await ctx.mysql.pool.query('SELECT 1');
        } catch (err) {
          problems.push(`mysql: ${(err as Error).message}`);
        }
        if (ctx.mirror) {
          try {
            const lag = await ctx.mirror.currentLag();
            mirror = { lag_rows: lag.rows, lag_seconds: Number.isFinite(lag.seconds) ? lag.seconds : null };
            const limit = mirrorLagLimitSeconds(ctx.config);
            if (!Number.isFinite(lag.seconds) || lag.seconds > limit)
              problems.push(`mirror: last sync ${lag.seconds} s ago`);
          } catch (err) {
            problems.push(`mirror: ${(err as Error).message}`);
          }
        }
      }
      const body = {
        service: 'evalhouse' as const,
        status: problems.length ? ('degraded' as const) : ('ok' as const),
        version: VERSION,
        store: ctx.mysql ? ('mysql' as const) : ('duckdb' as const),
        data_version: ctx.analysis.dataVersion,
        problems,
        pools,
        mirror,
      };
      return reply.code(problems.length ? 503 : 200).send(body);
    },
  );
}
