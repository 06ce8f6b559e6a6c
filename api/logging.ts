import { randomUUID } from 'node:crypto';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

import type { Config } from '../core/config.ts';

/**
 * The API's structured logs (pino, one JSON object a line): every request's lines carry its id (`reqId`),
 * which the response echoes in `x-request-id`; nothing secret reaches a line.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/** A client's id is kept when it looks like one (a UUID, a trace id, a short token), else a fresh UUID. */
const WELL_FORMED_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v !== undefined && WELL_FORMED_ID.test(v) ? v : randomUUID();
}

/** Query parameters and variables whose value is a credential, by their name. */
// `code` and `state`: an OAuth callback's one-time authorization code and its anti-forgery value
const SECRET_NAME =
  /(key|token|secret|passw|pwd|auth|session|cookie|credential|signature|nonce|^code$|^state$)/i;
const REDACTED = '[redacted]';
/** Shorter values are not scrubbed from text (they would blank ordinary words): such a secret is no secret. */
const MIN_SECRET_LENGTH = 6;

/** The URL with the values of secret-looking query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed name is checked as sent
      }
      return eq >= 0 && SECRET_NAME.test(decoded) ? `${name}=${REDACTED}` : p;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/**
 * Values that must never appear in a log: variables named like credentials (the provider API keys among
 * them) and the password of any URL in the environment (MYSQL_URL, REDIS_URL).
 */
export function secretValues(
  env: Record<string, string | undefined>,
  keyEnvs: readonly string[] = [],
): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (keyEnvs.includes(name) || /(_KEY|_TOKEN|_SECRET|_PASSWORD|_PASS)$/i.test(name)) found.add(value);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      try {
        const u = new URL(value);
        if (u.password) {
          found.add(u.password);
          found.add(decodeURIComponent(u.password));
        }
      } catch {
        // not a URL after all
      }
    }
  }
  return [...found].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Replaces every secret in a string (longest first, so one secret inside another goes whole). */
function scrubber(secrets: readonly string[]) {
  return (s: string) => {
    let out = s;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

/** An object's string fields (one level, and an error's message and stack) scrubbed; other values as they are. */
function scrubObject(o: object, scrub: (s: string) => string): object {
  if (o instanceof Error) {
    const e = o as Error & { code?: unknown };
    return { type: e.name, message: scrub(e.message), stack: scrub(e.stack ?? ''), code: e.code };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') out[k] = scrub(v);
    else if (v instanceof Error) out[k] = scrubObject(v, scrub);
    else out[k] = v;
  }
  return out;
}

/** pino options for the API's logger (Fastify passes them on). */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'env' | 'runs'>): LoggerOptions {
  const scrub = scrubber(secretValues(config.env, config.runs.keyEnvs));
  return {
    level: config.logLevel,
    serializers: {
      // Fastify's default minus nothing useful: no headers at all (Authorization, Cookie), the query redacted
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    // should a line ever carry headers (a plugin's own serializer), these stay out
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'req.headers["proxy-authorization"]',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'headers.cookie',
      ],
      censor: REDACTED,
    },
    hooks: {
      // the last line of defence: a provider or driver message quoting a key or a connection URL
      logMethod(args, method) {
        const clean = args.map((a: unknown) =>
          typeof a === 'string' ? scrub(a) : a && typeof a === 'object' ? scrubObject(a, scrub) : a,
        );
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
  };
}
