import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A signed-in browser's credentials: its cookie header and the CSRF token writes send back. */
export interface Session {
  cookie: string;
  csrf: string;
}

/** Who calls: an API key (Bearer), a signed-in session, or nobody. */
export type Caller = { key: string } | Session | null;

/** One request through `app.inject` as `caller`, in `workspace` when given; the answer parsed. */
export async function callAs(
  app: FastifyInstance,
  caller: Caller,
  method: Method,
  url: string,
  body?: unknown,
  workspace?: string,
) {
  const headers: Record<string, string> = {};
  if (caller && 'key' in caller) headers.authorization = `Bearer ${caller.key}`;
  else if (caller) {
    headers.cookie = caller.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = caller.csrf;
  }
  if (workspace) headers['x-evalhouse-workspace'] = workspace;
  const res = await app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: body as object }),
  });
  // a JSON answer parsed; others (a YAML or CSV export) read from `raw`
  const json = res.body !== '' && String(res.headers['content-type'] ?? '').includes('json');
  return {
    status: res.statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: an answer read field by field, each field checked by an expectation
    body: (json ? res.json() : {}) as Record<string, any>,
    raw: res.body,
  };
}

/** POST /auth/login with a password (expects 200): the session's cookie header and CSRF token. */
export async function signInAs(app: FastifyInstance, email: string, password: string): Promise<Session> {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  expect(res.statusCode, res.body).toBe(200);
  const jar = res.cookies.map((c) => [c.name, c.value] as const);
  return {
    cookie: jar.map(([k, v]) => `${k}=${v}`).join('; '),
    csrf: jar.find(([k]) => k === '__Host-eh_csrf')?.[1] ?? '',
  };
}
