import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { createTestDatabase, TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/**
 * The real server's logs (api/logging.ts): JSON lines, every request's lines with its id (the client's
 * x-request-id when well-formed, echoed back), and no secret in any line, even one a provider's error quotes.
 * And its SIGTERM: the request in flight finishes, then the process exits 0.
 */
const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const secret = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 30_000) {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Line = Record<string, unknown> & { reqId?: string; msg?: string; req?: { url: string } };

describe('request logs', () => {
  it('carry a request id on every request line and no secret anywhere', async () => {
    const apiKey = secret('sk-test-');
    const password = secret('pw-');
    const headerToken = secret('bearer-');
    const cookie = secret('cookie-');
    const queryToken = secret('q-');
    const db = await createTestDatabase('logs');
    const user = `eh_log_${randomBytes(3).toString('hex')}`;
    const root = await mysql.createConnection(TEST_MYSQL_SERVER);
    for (const host of ['localhost', '%']) {
      await root.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
      await root.query(`GRANT ALL ON \`${db.name}\`.* TO '${user}'@'${host}'`);
    }
    const u = new URL(db.url);
    const mysqlUrl = `mysql://${user}:${password}@${u.host}${u.pathname}`;
    // a provider whose refusal quotes the server's OPENAI_API_KEY, as some quote a key: the run's failure
    // reaches the log with it
    const fake = await startFakeProvider({
      fault: () => ({ type: 'status', status: 401, message: `Incorrect API key provided: ${apiKey}` }),
    });
    const server = await startServer({
      DUCKDB_PATH: `${tmp.dir}/logs.duckdb`,
      AUTH: 'off',
      MYSQL_URL: mysqlUrl,
      PORT: '0',
      LOG_LEVEL: 'info',
      OPENAI_API_KEY: apiKey,
    });
    let output = '';
    let generated = '';
    try {
      const get = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${server.url}${path}`, { headers });
      const given = await get('/health', { 'x-request-id': 'trace-42.a:b' });
      expect(given.headers.get('x-request-id')).toBe('trace-42.a:b');
      const malformed = await get('/health', { 'x-request-id': 'no spaces "or quotes"' });
      generated = malformed.headers.get('x-request-id') ?? '';
      expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const tooLong = await get('/health', { 'x-request-id': 'a'.repeat(129) });
      expect(tooLong.headers.get('x-request-id')).not.toBe('a'.repeat(129));
      const secrets = await get(`/benchmarks?api_key=${queryToken}&limit=1&access_token=${queryToken}`, {
        authorization: `Bearer ${headerToken}`,
        cookie: `session=${cookie}`,
        'x-api-key': headerToken,
      });
      expect(secrets.status).toBeLessThan(500);
      const started = await fetch(`${server.url}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'run-start-1' },
        body: JSON.stringify({
          benchmark: 'aime-2024',
          model: 'openai-compatible:logs',
          base_url: fake.openaiBaseURL,
          limit: 2,
        }),
      });
      expect(started.status, await started.clone().text()).toBe(202);
      const { id } = (await started.json()) as { id: number };
      await until('the run to stop on the refusal', async () => {
        const run = (await (await get(`/runs/${id}`)).json()) as { status: string };
        return run.status !== 'running';
      });
      await until('the run to be logged', async () => /run #\d+ (failed|paused)/.test(server.output()));
      expect(fake.requests.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
      output = server.output();
      await fake.close();
      await root.query(`DROP USER IF EXISTS '${user}'@'localhost'`).catch(() => undefined);
      await root.query(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => undefined);
      await root.end();
      await db.drop();
    }

    for (const s of [apiKey, password, headerToken, cookie, queryToken])
      expect(output.includes(s), `a secret (${s.slice(0, 6)}…) in the log:\n${output}`).toBe(false);
    const lines = output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Line;
        } catch {
          throw new Error(`not a JSON log line: ${l}`);
        }
      });
    const requestLines = lines.filter((l) => l.req !== undefined || l.res !== undefined);
    expect(requestLines.length).toBeGreaterThanOrEqual(12);
    for (const l of requestLines) expect(l.reqId, JSON.stringify(l)).toEqual(expect.any(String));
    const byId = (id: string) => requestLines.filter((l) => l.reqId === id).map((l) => l.msg);
    expect(byId('trace-42.a:b')).toEqual(['incoming request', 'request completed']);
    expect(byId(generated)).toEqual(['incoming request', 'request completed']);
    // the run's own lines follow the request that started it
    expect(lines.filter((l) => l.reqId === 'run-start-1').length).toBeGreaterThanOrEqual(2);
    const benchmarks = requestLines.find((l) => l.req?.url.startsWith('/benchmarks'));
    expect(benchmarks?.req?.url).toBe('/benchmarks?api_key=[redacted]&limit=1&access_token=[redacted]');
    // the provider's message was logged, with the key blanked out of it
    const runLine = lines.find((l) => /run #\d+ (failed|paused)/.test(String(l.msg)));
    expect(runLine?.msg).toContain('Incorrect API key provided: [redacted]');
  }, 120_000);

  it('SIGTERM: the request in flight finishes, new requests are not served, the process exits 0', async () => {
    const server = await startServer({ DUCKDB_PATH: `${tmp.dir}/term.duckdb`, PORT: '0', LOG_LEVEL: 'info' });
    const records = Array.from({ length: 40 }, (_, i) => ({
      benchmark: 'bench-term',
      model: 'model-term',
      run: 'term',
      item_id: `i${i}`,
      sample: 0,
      outcome: 'correct',
      correct: true,
      score: 1,
      metadata: {},
    }));
    const body = records.map((r) => JSON.stringify(r)).join('\n');
    const url = new URL(`${server.url}/imports`);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      // half the body, then SIGTERM, then (the server closing meanwhile) the rest
      req.write(body.slice(0, body.length / 2));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(body.length / 2)), 700);
      }, 300);
    });
    await until('the server to begin closing', async () => /SIGTERM: closing/.test(server.output()), 10_000);
    const refused = await fetch(`${server.url}/health`).then(
      (r) => r.status,
      (err: Error) => (err.cause as { code?: string } | undefined)?.code ?? err.message,
    );
    // not served: refused, reset before a request was read (an idle connection of a closing server), or 503
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(refused);
    const done = await answer;
    expect(done.status, done.text).toBe(200);
    expect(JSON.parse(done.text)).toMatchObject({ rows: 40, inserted: 40 });
    expect(await server.stop()).toBe(0);
  }, 60_000);

  it("the image's command (node --import tsx cli/main.ts serve): SIGTERM to it closes the server it started", async () => {
    const db = `${tmp.dir}/serve.duckdb`;
    const cli = evalhouse(['serve'], { DUCKDB_PATH: db, PORT: '0', DEMO_DATA: 'off', LOG_LEVEL: 'info' });
    let info: { pid: number; url: string } | null = null;
    await until(
      'the server address file',
      async () => {
        try {
          info = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as { pid: number; url: string };
          return true;
        } catch {
          return false;
        }
      },
      60_000,
    );
    const server = info as unknown as { pid: number; url: string };
    expect(server.pid).not.toBe(cli.child.pid); // serve runs the server as its child
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    cli.child.kill('SIGTERM'); // what `docker stop` does to the container's command (through init)
    const done = await Promise.race([cli.done, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    if (done === null) {
      process.kill(server.pid, 'SIGKILL'); // left running: do not leave it behind
      throw new Error('evalhouse serve did not pass SIGTERM on to the server within 30 s');
    }
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/SIGTERM: closing/);
    expect(() => process.kill(server.pid, 0)).toThrow(); // the server is gone too
  }, 90_000);
});
