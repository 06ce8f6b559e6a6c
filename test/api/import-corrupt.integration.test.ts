import { type ChildProcess, spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The real server in its own process, so a crash shows as a dead server rather than a failed test runner. */
async function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}api/server.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TZ: 'UTC', PORT: '0', DEMO_DATA: 'off', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { url, child };
}

const lines = Array.from({ length: 3000 }, (_, i) =>
  JSON.stringify({ benchmark: 'b', model: 'm', item_id: i, correct: i % 2 === 0 }),
).join('\n');
const csv = `benchmark,model,item_id,correct\n${Array.from({ length: 3000 }, (_, i) => `b,m,${i},1`).join('\n')}\n`;
const cut = (b: Uint8Array, keep: number) => Buffer.from(b.subarray(0, keep));
const zip = zipSync({
  'header.json': new TextEncoder().encode(JSON.stringify({ eval: { task: 't', model: 'm' } })),
});

/** [filename, body, what the message must say]: each one broken in a different way. */
const BROKEN: [string, Buffer, RegExp][] = [
  ['x.csv.gz', Buffer.from('this is not a gzip!\n'), /x\.csv\.gz.*gzip/i],
  ['y.csv.gz', cut(gzipSync(csv), 200), /y\.csv\.gz.*(gzip|truncated|end)/i],
  ['z.jsonl.gz', Buffer.from('\x1f\x8bthis is not a gzip'), /z\.jsonl\.gz.*gzip/i],
  ['w.jsonl.gz', cut(gzipSync(lines), 300), /w\.jsonl\.gz.*(gzip|truncated|end)/i],
  ['v.eval', Buffer.from('PK\x03\x04 not really a zip'), /v\.eval.*zip/i],
  ['u.eval', cut(zip, zip.length - 10), /u\.eval.*zip/i],
  ['t.json', Buffer.from('{"eval": {"task": "t", "model": "m"}, "samples": [{"id": 1, '), /t\.json.*JSON/i],
  ['s.csv', Buffer.from('benchmark,model,item_id\nb,m,1\nb,m,"2\n'), /s\.csv.*quote/i],
];

/** Bombs over the default limits: [filename, body, the setting the 413 names]. */
const OVER: [string, Buffer, string][] = [
  [
    'long.jsonl.gz',
    gzipSync(
      `${JSON.stringify({ benchmark: 'b', model: 'm', item_id: 1, response: 'r'.repeat(1024 ** 2 + 1) })}\n`,
    ),
    'IMPORT_MAX_FIELD_BYTES',
  ],
  [
    'header.eval',
    Buffer.from(zipSync({ 'header.json': new Uint8Array(65 * 1024 ** 2).fill(0x20) }, { level: 9 })),
    'IMPORT_MAX_ZIP_ENTRY_BYTES',
  ],
];

describe.each([
  ['embedded DuckDB', false],
  ['MySQL', true],
])('POST /imports of corrupt files (%s): a clear 400, and the server lives on', (_name, mysql) => {
  const tmp = tmpDir();
  let server: { url: string; child: ChildProcess };
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    db = mysql ? await createTestDatabase('corrupt') : undefined;
    server = await startServer({
      DUCKDB_PATH: `${tmp.dir}/c.duckdb`,
      ...(db ? { AUTH: 'off', MYSQL_URL: db.url } : {}),
    });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await db?.drop();
    tmp.cleanup();
  });

  it.each(BROKEN)('%s', async (filename, body, says) => {
    const res = await fetch(`${server.url}/imports?filename=${filename}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    const j = (await res.json()) as { error: string; message: string; details: { file?: string } };
    expect(res.status, JSON.stringify(j)).toBe(400);
    expect(j.error).toBe('CORRUPT_FILE');
    expect(j.message).toMatch(says);
    expect(j.details.file).toBe(filename);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    // nothing of a partly readable file was written
    const benchmarks = (await (await fetch(`${server.url}/benchmarks`)).json()) as { benchmarks: unknown[] };
    expect(benchmarks.benchmarks).toEqual([]);
  });

  it.each(OVER)('%s over the default limits: 413 naming %s', async (filename, body, setting) => {
    const res = await fetch(`${server.url}/imports?filename=${filename}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    const j = (await res.json()) as {
      error: string;
      message: string;
      details: { file?: string; setting?: string };
    };
    expect(res.status, JSON.stringify(j)).toBe(413);
    expect(j).toMatchObject({ error: 'IMPORT_LIMIT', details: { file: filename, setting } });
    expect(j.message).toContain(setting);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
