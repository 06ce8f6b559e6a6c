import { isIP } from 'node:net';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../core/config.ts';
import { errors } from '../core/errors.ts';

/**
 * Content types a web page may send to any site without a CORS preflight (the Fetch standard's
 * CORS-safelisted ones; HTML forms send nothing else). A write in one of them is honoured only when
 * its Origin proves where it comes from.
 */
const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type HostPolicy = Pick<Config, 'host' | 'allowedHosts'>;

/** The Host header as URL parts, or null when it is not a plain host[:port]. */
function parseHost(header: string | undefined): URL | null {
  if (!header || /[\s/?#@\\]/.test(header)) return null;
  try {
    return new URL(`http://${header}`);
  } catch {
    return null;
  }
}

/**
 * Whether a Host is one this server answers to. DNS rebinding makes a browser send the attacker's
 * name with the victim's address, so names must be known ones; an IP-address Host cannot come from
 * rebinding (the page's own origin is then that address), so addresses are served whatever they are.
 */
export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  const url = parseHost(header);
  if (!url) return false;
  const name = url.hostname.replace(/\.$/, '');
  if (name.startsWith('[') || isIP(name)) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (!isIP(policy.host) && name === policy.host.toLowerCase().replace(/\.$/, '')) return true;
  return policy.allowedHosts.some((h) => {
    const allowed = h.replace(/\.$/, '');
    return allowed.startsWith('.') ? name === allowed.slice(1) || name.endsWith(allowed) : name === allowed;
  });
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : '80');

/** Whether `origin` is this server itself as the client reached it (same host and port as Host). */
function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  const host = parseHost(hostHeader);
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and garbage
  }
  if (!host || (o.protocol !== 'http:' && o.protocol !== 'https:')) return false;
  // behind a TLS proxy Host has no port and the page is https: the scheme's default port is meant
  const port = o.port || defaultPort(o.protocol);
  return o.hostname === host.hostname && port === (host.port || defaultPort(o.protocol));
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A WebSocket handshake (RFC 6455: `Upgrade: websocket`). */
export function isUpgrade(req: FastifyRequest): boolean {
  return header(req, 'upgrade')?.toLowerCase() === 'websocket';
}

/**
 * The HTTP edge's guards, registered before any route:
 * - every request: a Host this server answers to (`hostAllowed`), against DNS rebinding;
 * - writes (any method but GET/HEAD/OPTIONS) and WebSocket upgrades (a GET, but one a foreign page could
 *   open with our cookies: cross-site WebSocket hijacking): an Origin that is the server itself or in CORS_ORIGINS;
 *   without an Origin (curl, the CLI, scripts), no `Sec-Fetch-Site` naming another site and no
 *   CORS-simple content type, the only kind a foreign page can send without a preflight;
 * - CORS answers (with preflight) for the origins in CORS_ORIGINS only, by @fastify/cors.
 * All refusals happen in onRequest, before any body is read.
 */
export async function installSecurity(
  app: FastifyInstance,
  config: Pick<Config, 'host' | 'allowedHosts' | 'corsOrigins'>,
): Promise<void> {
  const corsOrigins = new Set(config.corsOrigins);
  app.addHook('onRequest', async (req) => {
    const host = header(req, 'host');
    if (!hostAllowed(host, config)) throw errors.hostNotAllowed(host ?? null);
    if (SAFE_METHODS.has(req.method) && !isUpgrade(req)) return;
    const what = isUpgrade(req) ? 'WebSocket' : req.method;
    const origin = header(req, 'origin');
    if (origin !== undefined) {
      if (corsOrigins.has(origin) || sameOrigin(origin, host)) return;
      throw errors.crossOrigin(what, origin);
    }
    const site = header(req, 'sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') throw errors.crossOrigin(what, null);
    const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (SIMPLE_TYPES.has(type)) throw errors.simpleContentType(req.method, type);
  });
  await app.register(cors, {
    // not listed: no CORS header at all, and a preflight is a 404 like any unknown route
    origin: (origin, cb) => cb(null, origin !== undefined && corsOrigins.has(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
    // its strict mode answers an OPTIONS without Access-Control-Request-Method with a text/plain 400
    strictPreflight: false,
  });
}
