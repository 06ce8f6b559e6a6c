import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../core/config.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { buildApp } from './app.ts';
import { type AppContext, openContext } from './context.ts';
import { hostAllowed } from './security.ts';

const DASHBOARD = 'https://dash.example.com';
const tmp = tmpDir();
let ctx: AppContext;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  ctx = await openContext(
    loadConfig({
      DUCKDB_PATH: `${tmp.dir}/sec.duckdb`,
      DEMO_DATA: 'off',
      ALLOWED_HOSTS: 'evals.example.com,.lab.example',
      CORS_ORIGINS: `${DASHBOARD},http://localhost:5173`,
    }),
    { mirrorLoop: false },
  );
  app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await ctx?.close();
  tmp.cleanup();
});

const line = (item: string) =>
  `${JSON.stringify({ benchmark: 'sec', model: 'm', item_id: item, correct: true })}\n`;

async function stored(): Promise<number> {
  const [row] = await ctx.duck.db.all<{ n: number }>('SELECT count(*)::INTEGER AS n FROM results');
  return Number(row?.n);
}

/** A request over a real socket with exactly these headers (fetch would not let a test set Host). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('hostAllowed', () => {
  const policy = { host: '127.0.0.1', allowedHosts: ['evals.example.com', '.lab.example'] };
  it.each([
    'localhost:3000',
    'LOCALHOST',
    'localhost.:3000',
    'app.localhost:8080',
    '127.0.0.1:3000',
    '[::1]:3000',
    '192.168.1.5:3000',
    'evals.example.com',
    'lab.example:3000',
    'gpu1.lab.example',
  ])('serves %s', (h) => expect(hostAllowed(h, policy)).toBe(true));
  it.each([
    'evil.example:3000',
    'localhost.evil.example',
    'evilocalhost',
    'evals.example.com.evil.example',
    'xlab.example',
    'user@localhost',
    'localhost/x',
    '',
  ])('refuses %s', (h) => expect(hostAllowed(h, policy)).toBe(false));
  it('serves HOST when it is a name', () => {
    expect(hostAllowed('evalbox.lan:3000', { host: 'evalbox.lan', allowedHosts: [] })).toBe(true);
    expect(hostAllowed('evalbox.lan:3000', { host: '0.0.0.0', allowedHosts: [] })).toBe(false);
    expect(hostAllowed(undefined, policy)).toBe(false);
  });
});

describe('writes from other sites', () => {
  it('a cross-origin text/plain POST /imports (no preflight in browsers) is refused and writes nothing', async () => {
    const before = await stored();
    const res = await raw(
      'POST',
      '/imports?filename=x.jsonl',
      { 'content-type': 'text/plain', origin: 'http://evil.example', host: `127.0.0.1:${port}` },
      line('csrf'),
    );
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'CROSS_ORIGIN_REFUSED',
      details: { origin: 'http://evil.example', setting: 'CORS_ORIGINS' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    // the same through inject, the types an HTML form sends, and text/csv (a legitimate upload type:
    // a page cannot send it cross-origin without a preflight, and the Origin check refuses it anyway)
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/csv',
    ]) {
      const r = await app.inject({
        method: 'POST',
        url: '/imports?filename=x.jsonl',
        headers: { 'content-type': type, origin: 'http://evil.example' },
        payload: line('csrf2'),
      });
      expect(r.statusCode, type).toBe(403);
    }
    expect(await stored()).toBe(before);
  });

  it('refuses Origin "null", another port of localhost and Sec-Fetch-Site cross-site without Origin', async () => {
    const attempts = [
      { origin: 'null', 'content-type': 'application/json' },
      { origin: 'http://localhost:9999', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
    ];
    for (const headers of attempts) {
      const r = await app.inject({ method: 'POST', url: '/analysis', headers, payload: '{}' });
      expect(r.statusCode, JSON.stringify(headers)).toBe(403);
      expect(r.json().error).toBe('CROSS_ORIGIN_REFUSED');
    }
    const del = await app.inject({
      method: 'DELETE',
      url: '/runs/1',
      headers: { origin: 'http://evil.example' },
    });
    expect(del.statusCode).toBe(403);
  });

  it('without an Origin, a CORS-simple type is refused with a hint for curl; explicit types work', async () => {
    const before = await stored();
    const form = await raw(
      'POST',
      '/imports?filename=x.jsonl',
      // what `curl -d @x.jsonl` sends
      { 'content-type': 'application/x-www-form-urlencoded', host: `localhost:${port}` },
      line('curl-d'),
    );
    expect(form.status).toBe(415);
    const body = JSON.parse(form.body);
    expect(body.error).toBe('SIMPLE_CONTENT_TYPE');
    expect(body.message).toMatch(/--data-binary/);
    expect(await stored()).toBe(before);
    // the CLI's and curl's explicit types: application/x-ndjson, text/csv (a CSV upload), octet-stream
    const nd = await raw(
      'POST',
      '/imports?filename=a.jsonl',
      { 'content-type': 'application/x-ndjson', host: `localhost:${port}` },
      line('nd'),
    );
    expect(nd.status, nd.body).toBe(200);
    const csv = await raw(
      'POST',
      '/imports?filename=b.csv',
      { 'content-type': 'text/csv', host: `127.0.0.1:${port}` },
      'benchmark,model,item_id,correct\nsec,m,csv1,true\n',
    );
    expect(csv.status, csv.body).toBe(200);
    expect(await stored()).toBe(before + 2);
  });

  it("the server's own pages may write, whatever the type", async () => {
    const before = await stored();
    // a CORS-simple type from the server's own page passes the guard: what answers is the route, which
    // takes no text/plain upload (its own 415, listing the types it reads), and nothing is written
    const plain = await raw(
      'POST',
      '/imports?filename=c.jsonl',
      { 'content-type': 'text/plain', origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` },
      line('plain'),
    );
    expect(plain.status, plain.body).toBe(415);
    expect(JSON.parse(plain.body).error).toBe('UNSUPPORTED_MEDIA_TYPE');
    const own = await raw(
      'POST',
      '/imports?filename=c.jsonl',
      {
        'content-type': 'application/x-ndjson',
        origin: `http://127.0.0.1:${port}`,
        host: `127.0.0.1:${port}`,
      },
      line('own'),
    );
    expect(own.status, own.body).toBe(200);
    // behind a TLS proxy: Host without port, an https page
    const proxied = await app.inject({
      method: 'POST',
      url: '/imports?filename=d.jsonl',
      headers: {
        host: 'evals.example.com',
        origin: 'https://evals.example.com',
        'content-type': 'application/x-ndjson',
      },
      payload: line('proxied'),
    });
    expect(proxied.statusCode, proxied.body).toBe(200);
    expect(await stored()).toBe(before + 2);
  });
});

describe('DNS rebinding', () => {
  it('a Host that is not a served name is refused on GET and POST', async () => {
    const before = await stored();
    const get = await raw('GET', '/benchmarks', { host: 'evil.example:3000' });
    expect(get.status).toBe(403);
    expect(JSON.parse(get.body)).toMatchObject({
      error: 'HOST_NOT_ALLOWED',
      details: { host: 'evil.example:3000', setting: 'ALLOWED_HOSTS' },
    });
    expect(JSON.parse(get.body).message).toMatch(/ALLOWED_HOSTS/);
    // a rebound page is same-origin with itself: its Origin matches its Host
    const post = await raw(
      'POST',
      '/imports?filename=x.jsonl',
      {
        host: 'evil.example:3000',
        origin: 'http://evil.example:3000',
        'content-type': 'application/x-ndjson',
      },
      line('rebound'),
    );
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error).toBe('HOST_NOT_ALLOWED');
    const pre = await raw('OPTIONS', '/imports', {
      host: 'evil.example:3000',
      origin: DASHBOARD,
      'access-control-request-method': 'POST',
    });
    expect(pre.status).toBe(403);
    expect(await stored()).toBe(before);
  });

  it('loopback names, addresses and ALLOWED_HOSTS are served', async () => {
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      'dash.localhost',
      'evals.example.com',
      'gpu1.lab.example:80',
    ]) {
      const r = await raw('GET', '/health', { host });
      expect(r.status, host).toBe(200);
    }
  });
});

describe('CORS', () => {
  it('an allow-listed origin gets CORS headers and a working preflight', async () => {
    const pre = await raw('OPTIONS', '/analysis', {
      host: `127.0.0.1:${port}`,
      origin: DASHBOARD,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(DASHBOARD);
    expect(String(pre.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/content-type/i);
    expect(String(pre.headers.vary)).toMatch(/Origin/);
    // the request the preflight was for
    const post = await raw(
      'POST',
      '/imports?filename=e.jsonl',
      { host: `127.0.0.1:${port}`, origin: DASHBOARD, 'content-type': 'application/x-ndjson' },
      line('dash'),
    );
    expect(post.status, post.body).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe(DASHBOARD);
    const get = await raw('GET', '/benchmarks', {
      host: `127.0.0.1:${port}`,
      origin: 'http://localhost:5173',
    });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(String(get.headers.vary)).toMatch(/Origin/);
  });

  it('an origin not listed gets no CORS header, on a request or a preflight', async () => {
    const get = await raw('GET', '/benchmarks', {
      host: `127.0.0.1:${port}`,
      origin: 'https://other.example',
    });
    expect(get.status).toBe(200);
    expect(Object.keys(get.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const pre = await raw('OPTIONS', '/analysis', {
      host: `127.0.0.1:${port}`,
      origin: 'https://other.example',
      'access-control-request-method': 'POST',
    });
    expect(Object.keys(pre.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(pre.status).toBe(404);
  });
});

describe('configuration', () => {
  it('validates ALLOWED_HOSTS and CORS_ORIGINS and names the variable', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' https://A.example , http://localhost:5173,' }).corsOrigins).toEqual([
      'https://a.example',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'null' })).toThrow(/CORS_ORIGINS/);
    expect(loadConfig({ ALLOWED_HOSTS: 'Evals.example.com,.lab.example' }).allowedHosts).toEqual([
      'evals.example.com',
      '.lab.example',
    ]);
    expect(() => loadConfig({ ALLOWED_HOSTS: 'evals.example.com:3000' })).toThrow(/ALLOWED_HOSTS/);
    expect(() => loadConfig({ ALLOWED_HOSTS: 'http://x' })).toThrow(/ALLOWED_HOSTS/);
  });
});
