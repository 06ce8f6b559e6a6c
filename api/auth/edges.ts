import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../../core/config.ts';
import { errors } from '../../core/errors.ts';
import { CSP_DIRECTIVES } from '../routes/ui.ts';
import './principal.ts';

/** Routes no rate limit applies to: probes and scrapers, the web UI's files, the API reference. */
const UNLIMITED = new Set(['/health', '/ready', '/metrics', '/', '/*']);
const unlimited = (url: string | undefined) =>
  url !== undefined &&
  (UNLIMITED.has(url) || url === '/docs' || url.startsWith('/docs/') || url === '/openapi.json');

/** Whom a request counts against: its API key, its signed-in user, else its address. */
export function rateLimitKey(req: FastifyRequest): string {
  const p = req.principal;
  if (p?.kind === 'key') return `key:${p.keyId}`;
  if (p?.kind === 'session') return `user:${p.user.id}`;
  return `addr:${req.ip}`;
}

/**
 * Security headers (helmet: the dashboards' content security policy on every answer, nosniff, frame
 * and referrer policies) and the per-principal rate limit, RATE_LIMIT_PER_MIN requests a minute, shared
 * by the replicas through Redis when REDIS_URL is set. Must be installed before the routes (the limit
 * attaches to each route as it is added) and after the principal is resolved (it runs per route, after
 * the app's onRequest hooks).
 */
export async function installEdges(
  app: FastifyInstance,
  config: Pick<Config, 'auth' | 'queue'>,
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // the API is read by its own pages and by CORS_ORIGINS' (api/security.ts decides who)
    crossOriginResourcePolicy: false,
  });
  let redis: Redis | undefined;
  if (config.queue.redisUrl) {
    redis = new Redis(config.queue.redisUrl, { connectTimeout: 2000, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // the store's errors reach the limiter, which lets requests through
    app.addHook('onClose', async () => void redis?.disconnect());
  }
  await app.register(rateLimit, {
    global: true,
    max: config.auth.rateLimitPerMin,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    // the local user (auth off: one person on loopback) is not limited, nor are probes and static files
    allowList: (req) => req.principal?.kind === 'local' || unlimited(req.routeOptions.url),
    ...(redis ? { redis, nameSpace: `${config.queue.prefix}:rate:` } : {}),
    // Redis unreachable: serve rather than refuse everyone (GET /ready reports the outage)
    skipOnError: true,
    errorResponseBuilder: (_req, c) => {
      const s = Math.max(1, Math.ceil(c.ttl / 1000));
      return errors.rateLimited(
        `more than ${c.max} requests a minute (RATE_LIMIT_PER_MIN); retry in ${s} s`,
        s,
      );
    },
  });
}
