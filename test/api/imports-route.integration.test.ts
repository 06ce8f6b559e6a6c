/**
 * POST /imports as a client sends it: Content-Type and Content-Encoding honoured (415 otherwise), file
 * names that are not plain names refused, IMPORT_CONCURRENCY enforced with 503 + Retry-After, and a client
 * that disconnects mid-upload or mid-write leaving nothing in the store (embedded DuckDB and MariaDB).
 */

import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';

const line = (i: number, bench = 'routebench') =>
  JSON.stringify({
    benchmark: bench,
    model: 'm',
    item_id: `q${i}`,
    correct: i % 2 === 0,
    metadata: { t: `t${i % 3}` },
  });
const CSV = 'benchmark,model,item_id,correct,meta.topic\ncsvbench,m,1,1,a\ncsvbench,m,2,0,b\n';

interface Server {
  ctx: AppContext;
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

async function startServer(env: Record<string, string> = {}, mysql = false): Promise<Server> {
  const tmp = tmpDir('evalhouse-route-');
  const db = mysql ? await createTestDatabase('route') : null;
  const ctx = await openContext(
    loadConfig({
      DUCKDB_PATH: `${tmp.dir}/r.duckdb`,
      DEMO_DATA: 'off',
      AUTH: 'off',
      MYSQL_URL: db?.url,
      ...env,
    }),
    { mirrorLoop: false },
  );
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    ctx,
    app,
    port: (app.server.address() as { port: number }).port,
    async close() {
      await app.close();
      await ctx.close();
      await db?.drop();
      tmp.cleanup();
    },
  };
}

const post = (s: Server, url: string, body: string | Buffer, headers: Record<string, string>) =>
  s.app.inject({ method: 'POST', url, payload: body, headers });

/** Rows and runs of a benchmark in the system of record. */
async function stored(s: Server, bench: string): Promise<{ results: number; runs: number }> {
  // committed rows only: MySQL's pool, or one of DuckDB's reader connections (not the writer's)
  const all = <T>(sql: string, params: unknown[]) =>
    s.ctx.mysql ? s.ctx.mysql.db.all<T>(sql, params) : s.ctx.duckEngine.query<T>(sql, params, 10_000);
  const [row] = await all<{ results: unknown; runs: unknown }>(
    `SELECT (SELECT count(*) FROM results r JOIN runs u ON u.id = r.run_id JOIN benchmarks b ON b.id = u.benchmark_id WHERE b.slug = ?) AS results,
            (SELECT count(*) FROM runs u JOIN benchmarks b ON b.id = u.benchmark_id WHERE b.slug = ?) AS runs`,
    [bench, bench],
  );
  return { results: Number(row!.results), runs: Number(row!.runs) };
}

/** A streaming upload on a real socket; `send` writes more, `destroy` drops the connection. */
function upload(s: Server, url: string, type = 'application/x-ndjson') {
  const req = request({
    host: '127.0.0.1',
    port: s.port,
    method: 'POST',
    path: url,
    headers: { 'content-type': type, 'transfer-encoding': 'chunked' },
  });
  const answer = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
    },
  );
  answer.catch(() => undefined);
  return { req, answer };
}

const until = async (cond: () => Promise<boolean> | boolean, what: string) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
};

async function abandoned(s: Server): Promise<number> {
  const text = (await s.app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = /^evalhouse_imports_total\{status="abandoned"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('POST /imports: types, names and limits (embedded DuckDB)', () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer({
      IMPORT_CONCURRENCY: '1',
      IMPORT_MAX_ERRORS: '10',
      IMPORT_MAX_UPLOAD_BYTES: '100000',
    });
  });
  afterAll(() => s.close());

  it('refuses "." and ".." as file names with a 400 (not EISDIR)', async () => {
    for (const name of ['.', '..', '...']) {
      const res = await post(s, `/imports?filename=${name}`, line(1), {
        'content-type': 'application/x-ndjson',
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toBe('VALIDATION_FAILED');
    }
  });

  // a 255-character name plus the type's extension was a 500 (ENAMETOOLONG on the scratch file), and a
  // file named résultats.jsonl imported locally but was refused when the CLI sent it through a server
  it('takes Unicode file names and refuses one too long for the scratch file with a 400', async () => {
    const uni = await post(s, `/imports?filename=${encodeURIComponent('résultats été.jsonl')}`, line(1), {
      'content-type': 'application/x-ndjson',
    });
    expect(uni.statusCode, uni.body).toBe(200);
    expect(uni.json().file).toBe('résultats été.jsonl');
    const copy = await post(s, `/imports?filename=${encodeURIComponent('results (1).jsonl')}`, line(1), {
      'content-type': 'application/x-ndjson',
    });
    expect(copy.statusCode, copy.body).toBe(200);
    for (const [name, type] of [
      ['a'.repeat(255), 'application/gzip'],
      [`${'é'.repeat(200)}.jsonl`, 'application/x-ndjson'],
    ] as const) {
      const res = await post(s, `/imports?filename=${encodeURIComponent(name)}`, gzipSync(line(2)), {
        'content-type': type,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error).toBe('VALIDATION_FAILED');
    }
  });

  it('stops a file of invalid records at IMPORT_MAX_ERRORS and says so', async () => {
    const body = Array.from({ length: 5000 }, () => '{"model": 1}').join('\n');
    const res = await post(s, '/imports', body, { 'content-type': 'application/x-ndjson' });
    expect(res.statusCode).toBe(400);
    const j = res.json();
    expect(j.error).toBe('INVALID_IMPORT');
    expect(j.message).toMatch(
      /stopped after 10 invalid record\(s\) \(IMPORT_MAX_ERRORS; 10 record\(s\) read\)/,
    );
    expect(j.details).toMatchObject({ stoppedEarly: true, errorCount: 10, read: 10 });
  });

  it('refuses a body over IMPORT_MAX_UPLOAD_BYTES with 413, streamed or with a length, and keeps nothing', async () => {
    const body = `${Array.from({ length: 2000 }, (_, i) => line(i, 'hugebench')).join('\n')}\n`;
    expect(body.length).toBeGreaterThan(100_000);
    const sized = await post(s, '/imports', body, { 'content-type': 'application/x-ndjson' });
    expect(sized.statusCode, sized.body).toBe(413);
    const chunked = upload(s, '/imports');
    chunked.req.end(body);
    const res = await chunked.answer;
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'UPLOAD_TOO_LARGE',
      details: { limit_bytes: 100_000 },
    });
    expect(await stored(s, 'hugebench')).toEqual({ results: 0, runs: 0 });
  });

  it('reads text/csv as CSV, with or without a file name', async () => {
    for (const url of ['/imports', '/imports?filename=upload']) {
      const res = await post(s, url, CSV, { 'content-type': 'text/csv; charset=utf-8' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ format: 'canonical', rows: 2 });
    }
    expect(await stored(s, 'csvbench')).toEqual({ results: 2, runs: 1 });
  });

  it('reads application/json as a JSON document (an Inspect log), streamed like the others', async () => {
    const doc = readFileSync(`${SHARED_DATA}formats/inspect/data_arc_qwen.json`);
    const res = await post(s, '/imports', doc, { 'content-type': 'application/json' });
    expect(res.statusCode, res.body).toBe(200);
    const j = res.json();
    expect(j).toMatchObject({ format: 'inspect', committed: true });
    expect(j.inserted).toBe(j.rows);
    expect(j.rows).toBeGreaterThan(0);
  });

  it('reads application/zip as an Inspect .eval log', async () => {
    const log = readFileSync(`${SHARED_DATA}formats/inspect/mmlu-summary-choices.eval`);
    const res = await post(s, '/imports', log, { 'content-type': 'application/zip' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ format: 'inspect', committed: true });
  });

  it('reads application/gzip (the name refines the inner type) and Content-Encoding: gzip', async () => {
    const gz = gzipSync(CSV.replaceAll('csvbench', 'gzbench'));
    const a = await post(s, '/imports?filename=results.csv.gz', gz, { 'content-type': 'application/gzip' });
    expect(a.statusCode, a.body).toBe(200);
    expect(a.json()).toMatchObject({ format: 'canonical', rows: 2, inserted: 2 });
    const jsonl = gzipSync(`${line(1, 'gzbench2')}\n${line(2, 'gzbench2')}\n`);
    const b = await post(s, '/imports', jsonl, { 'content-type': 'application/gzip' });
    expect(b.statusCode, b.body).toBe(200);
    expect(b.json()).toMatchObject({ rows: 2, inserted: 2 });
    const c = await post(s, '/imports', gzipSync(CSV.replaceAll('csvbench', 'gzbench3')), {
      'content-type': 'text/csv',
      'content-encoding': 'gzip',
    });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json()).toMatchObject({ rows: 2, inserted: 2 });
    expect(await stored(s, 'gzbench3')).toEqual({ results: 2, runs: 1 });
  });

  it('answers 415 listing the accepted types for other types and encodings, and writes nothing', async () => {
    // the server's own page (same Origin): past api/security.ts, whose own 415 refuses CORS-simple types
    // sent without an Origin (api/security.test.ts), so this is the route's answer
    const own = { host: 'localhost:80', origin: 'http://localhost:80' };
    for (const headers of <Record<string, string>[]>[
      { ...own, 'content-type': 'text/plain' },
      { ...own, 'content-type': 'application/x-www-form-urlencoded' },
      { ...own, 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/x-ndjson', 'content-encoding': 'br' },
    ]) {
      const res = await post(s, '/imports', line(1, 'refused'), headers);
      expect(res.statusCode, res.body).toBe(415);
      const j = res.json();
      expect(j.error).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(j.details.accepted.length).toBeGreaterThan(1);
    }
    const res = await post(s, '/imports', line(1, 'refused'), { ...own, 'content-type': 'text/plain' });
    expect(res.json().details.accepted).toEqual(
      expect.arrayContaining([
        'text/csv',
        'application/x-ndjson',
        'application/jsonl',
        'application/json',
        'application/gzip',
        'application/zip',
        'application/octet-stream',
      ]),
    );
    expect(await stored(s, 'refused')).toEqual({ results: 0, runs: 0 });
  });

  it('an import beyond IMPORT_CONCURRENCY gets 503 with Retry-After; the held one then completes', async () => {
    const slow = upload(s, '/imports?filename=slow.jsonl');
    slow.req.write(`${line(1, 'slowbench')}\n`);
    // the slow upload holds the only slot once the server has its first bytes
    await until(async () => {
      const r = await post(s, '/imports', line(1, 'probe'), { 'content-type': 'application/x-ndjson' });
      return r.statusCode === 503;
    }, 'the slot to be taken');
    const busy = await post(s, '/imports', line(2, 'second'), { 'content-type': 'application/x-ndjson' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(busy.json()).toMatchObject({ error: 'IMPORTS_BUSY', details: { limit: 1 } });
    slow.req.end(`${line(2, 'slowbench')}\n`);
    const done = await slow.answer;
    expect(done.status, done.body).toBe(200);
    expect(JSON.parse(done.body)).toMatchObject({ rows: 2, inserted: 2 });
    expect(await stored(s, 'second')).toEqual({ results: 0, runs: 0 });
    const after = await post(s, '/imports', line(2, 'second'), { 'content-type': 'application/x-ndjson' });
    expect(after.statusCode).toBe(200);
  });
});

for (const mysql of [false, true]) {
  describe(`POST /imports: a client that disconnects leaves nothing (${mysql ? 'MariaDB' : 'embedded DuckDB'})`, () => {
    let s: Server;
    beforeAll(async () => {
      // the record path's batches (the bulk path writes a file in one transaction: nothing to see mid-write)
      s = await startServer({ IMPORT_BATCH_ROWS: '100', IMPORT_BULK: 'off' }, mysql);
      // a complete run the abandoned import appends to: it must come back whole
      const res = await post(s, '/imports', `${line(0, 'dropbench')}\n`, {
        'content-type': 'application/x-ndjson',
      });
      expect(res.statusCode, res.body).toBe(200);
    });
    afterAll(() => s.close());

    it('a multi-batch import is answered from as soon as it completes (not before)', async () => {
      const before = (await s.app.inject({ method: 'GET', url: '/benchmarks' })).json(); // cached now
      expect(before.benchmarks.map((b: { benchmark: string }) => b.benchmark)).not.toContain('multibench');
      const body = `${Array.from({ length: 1000 }, (_, i) => line(i, 'multibench')).join('\n')}\n`;
      const res = await post(s, '/imports', body, { 'content-type': 'application/x-ndjson' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ rows: 1000, inserted: 1000 });
      const after = (await s.app.inject({ method: 'GET', url: '/benchmarks' })).json();
      expect(after.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'multibench')).toMatchObject(
        {
          runs: 1,
          results: 1000,
        },
      );
      const a = await s.app.inject({
        method: 'POST',
        url: '/analysis',
        payload: { benchmark: 'multibench', levels: ['t'] },
      });
      const rows = a.json().rows as { n: number; correct: number }[];
      expect(rows.reduce((x, r) => x + r.n, 0)).toBe(1000);
      expect(rows.reduce((x, r) => x + r.correct, 0)).toBe(500);
    });

    it('mid-upload', async () => {
      const before = await abandoned(s);
      const up = upload(s, '/imports?filename=half.jsonl');
      up.req.write(`${Array.from({ length: 500 }, (_, i) => line(i + 1, 'halfbench')).join('\n')}\n`);
      await new Promise((res) => setTimeout(res, 100));
      up.req.destroy();
      await until(async () => (await abandoned(s)) > before, 'the import to be abandoned');
      expect(await stored(s, 'halfbench')).toEqual({ results: 0, runs: 0 });
    });

    it('mid-write: the rows already written are removed, a run it appended to is as it was', async () => {
      const before = await abandoned(s);
      const N = 30_000;
      const up = upload(s, '/imports?filename=big.jsonl');
      up.req.end(`${Array.from({ length: N }, (_, i) => line(i, 'dropbench')).join('\n')}\n`);
      // some batches are in the store (the run is then hidden from analyses), then the client goes away
      await until(async () => (await stored(s, 'dropbench')).results > 300, 'rows to land');
      await s.ctx.syncMirror();
      const list = (await s.app.inject({ method: 'GET', url: '/benchmarks' })).json();
      expect(list.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'dropbench')?.runs ?? 0).toBe(
        0,
      );
      up.req.destroy();
      await until(async () => (await abandoned(s)) > before, 'the import to be abandoned');
      expect(await stored(s, 'dropbench')).toEqual({ results: 1, runs: 1 });
      const run = await s.ctx.record.findRun('dropbench', 'm', 'default');
      expect(run?.status).toBe('imported');
      await s.ctx.syncMirror();
      const again = (await s.app.inject({ method: 'GET', url: '/benchmarks' })).json();
      expect(again.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'dropbench')).toMatchObject({
        runs: 1,
        results: 1,
      });
    });
  });
}
