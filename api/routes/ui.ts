import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm ci` (prepare) and `npm start` (prestart) build the dashboards (scripts/build-dashboards.mjs). */
export const DASHBOARDS_DIST = fileURLToPath(new URL('../../dashboards/dist/', import.meta.url));

/**
 * The page may only load its own scripts and talk to its own API; Plot sets inline styles, hence style-src
 * 'unsafe-inline'; export downloads and chart images are blob:/data: URLs. Every other answer carries the
 * same policy (helmet, api/auth/edges.ts).
 */
export const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};
const CSP = Object.entries(CSP_DIRECTIVES)
  .map(([k, v]) => `${k} ${v.join(' ')}`)
  .join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>evalhouse</title>
<h1>evalhouse</h1><p>The web UI is not built in this install. Run <code>npm run build:ui</code> (it needs the
devDependencies: <code>npm ci</code>), then reload. The API works without it: see <a href="docs">the API reference</a>.</p>`;

/**
 * GET / and its assets: the built dashboards (Vite's dist), pre-compressed (brotli, gzip) by the build. Hashed
 * assets are cached for a year, the page itself is revalidated, so a new build shows at once.
 */
export async function uiRoutes(app: FastifyInstance, opts: { dir?: string } = {}): Promise<void> {
  const dir = opts.dir ?? DASHBOARDS_DIST;
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    // files are looked up per request (a rebuild is served without a restart); a missing one falls through to
    // the API's JSON 404 (the plugin calls the not-found handler)
    wildcard: true,
    preCompressed: true,
    // our own cache-control below (the plugin's default would overwrite it)
    cacheControl: false,
    index: ['index.html'],
    schemaHide: true,
    setHeaders(res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('cache-control', 'no-cache');
      } else if (path.includes('/assets/')) {
        res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      }
    },
  });
}
