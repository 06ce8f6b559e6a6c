import { join } from 'node:path';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import type { AccountStore, AuditActor } from '../../accounts/types.ts';
import { accessOf, installGuard } from '../../api/auth/guard.ts';
import { installSession } from '../../api/auth/install.ts';
import { installErrorHandler } from '../../api/errors.ts';
import { loggerOptions, REQUEST_ID_HEADER, requestIdOf } from '../../api/logging.ts';
import { authRoutes } from '../../api/routes/auth.ts';
import { installSecurity } from '../../api/security.ts';
import { type Config, loadConfig } from '../../core/config.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

export const CLI: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: null,
  address: 'test',
};

export interface AuthTestApp {
  url: string;
  config: Config;
  accounts: AccountStore;
  /** Every log line the server wrote. */
  logs: string[];
  /** Raw SQL of the test's own on the control database (a hand edit, a count). */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * The server's sign-in half as buildApp wires it (security, session, guard, the /auth routes), over a
 * real account store, listening on 127.0.0.1, with two routes of its own to probe the principal:
 * `GET /probe/me` (signed-in) and `POST /probe/write` (write in the request's workspace).
 */
export async function authTestApp(
  env: Record<string, string> = {},
  engine: 'duckdb' | 'mysql' = 'duckdb',
): Promise<AuthTestApp> {
  const tmp = tmpDir('evalhouse-auth-');
  const db = engine === 'mysql' ? await createTestDatabase('sess') : null;
  const config = loadConfig({
    AUTH: 'on',
    DEMO_DATA: 'off',
    DUCKDB_PATH: join(tmp.dir, 'control.duckdb'),
    LOG_LEVEL: 'info',
    ...(db ? { MYSQL_URL: db.url } : {}),
    ...env,
  });
  const store = db ? await MysqlStore.open(db.url, 10) : await DuckDbStore.open(config.duckdbPath);
  const accounts = new KyselyAccountStore(accountDb(store), { auth: config.auth });
  const logs: string[] = [];
  const app = Fastify({
    logger: { ...loggerOptions(config), stream: { write: (line: string) => void logs.push(line) } },
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers[REQUEST_ID_HEADER]),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await installSecurity(app, config);
  await installSession(app, { config, accounts });
  installGuard(app, accounts);
  await app.register(authRoutes, { ctx: { config, accounts } });
  app.get('/probe/me', { config: { permission: 'signed-in' } }, async (req) => {
    const p = req.principal;
    return { kind: p?.kind, user: p && p.kind !== 'local' ? p.user.email : null };
  });
  app.post('/probe/write', { config: { permission: 'write' } }, async (req) => ({
    ok: true,
    workspace: accessOf(req).workspace.slug,
  }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    config,
    accounts,
    logs,
    raw: (sql, params = []) => store.db.all(sql, params),
    close: async () => {
      await app.close();
      await store.close();
      await db?.drop();
      tmp.cleanup();
    },
  };
}

/** A client with a cookie jar (what a browser keeps of Set-Cookie), sending requests to one server. */
export class Browser {
  readonly jar = new Map<string, string>();
  /** Every answer's text, status line and headers but Set-Cookie (scanned for secrets). */
  readonly seen: string[] = [];
  constructor(readonly base: string) {}

  async fetch(path: string, init: RequestInit & { csrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size > 0) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    if (init.csrf) headers.set('x-csrf-token', this.jar.get('__Host-eh_csrf') ?? '');
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = c.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const gone = attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=Thu, 01 Jan 1970/i.test(a));
      if (gone || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.clone().text();
    const shown = [...res.headers].filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`);
    this.seen.push(`${res.status} ${shown.join('\n')}\n${text}`);
    return res;
  }

  json(path: string, body: unknown, init: RequestInit & { csrf?: boolean } = {}): Promise<Response> {
    return this.fetch(path, {
      method: 'POST',
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      body: JSON.stringify(body),
    });
  }
}
