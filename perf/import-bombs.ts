/**
 * What hostile import files cost (issue 15's bombs), each imported in a fresh child process so its
 * peak RSS is its own: time until the import ends (refused or done), peak RSS, outcome.
 *   (a) a ~1.4 MB gzip of `{}` lines (~1.4 GB of invalid records)
 *   (b) 1,000 valid canonical records with a 1 MB `response` each, gzipped (~1 MB)
 *   (c) a ~300 KB Inspect `.eval` whose header.json is 300 MB of whitespace around a JSON object
 * Modes: `import` = importFile into a fresh DuckDB file (what POST /imports does after the upload);
 * `read` = the importer alone (parse + validate, nothing stored), stopping after --max-errors
 * invalid records (what importFile's error cap does) and with the limits given by --limit.
 * Generated files only; cached in perf/out/bombs/.
 *
 *   npx tsx perf/import-bombs.ts [--timeout 120] [--only a,b,c]
 *   npx tsx perf/import-bombs.ts --server [--mysql mysql://root@127.0.0.1:3306] [--only a,b,c]
 * --server: each file is sent to POST /imports of a real server (api/server.ts, default settings, a fresh
 * DuckDB file, or a fresh database on --mysql), as a client would; meanwhile /health is asked every
 * 100 ms. Prints the answer, its time, the server's peak RSS (VmHWM) and the /health latencies.
 */
import { spawn } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import mysql from 'mysql2/promise';

const OUT = new URL('./out/bombs/', import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;
const ROOT = new URL('../', import.meta.url).pathname;
const MB = 1e6;

async function child(file: string, mode: string, limits: string, maxErrors: number): Promise<void> {
  const { importFile } = await import('../ingest/import-file.ts');
  const { DuckDbStore } = await import('../store/duckdb/duckdb-store.ts');
  const { detectFormat, importerFor } = await import('../ingest/importers/detect.ts');
  const { DEFAULT_IMPORT_LIMITS } = await import('../ingest/importers/limits.ts').catch(() => ({
    DEFAULT_IMPORT_LIMITS: {},
  }));
  const over = Object.fromEntries(
    limits
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
  const t0 = performance.now();
  let outcome: string;
  try {
    if (mode === 'import') {
      const db = join(OUT, `import-${process.pid}.duckdb`);
      const store = await DuckDbStore.open(db);
      try {
        const s = await importFile(store, file, { limits: { ...DEFAULT_IMPORT_LIMITS, ...over } } as never);
        outcome = `${s.committed ? 'committed' : 'rejected'}: ${s.rows} rows, ${s.inserted} inserted, ${s.errorCount} errors`;
      } finally {
        await store.close();
        const size = existsSync(db) ? statSync(db).size : 0;
        outcome = `${outcome!}; store ${(size / MB).toFixed(0)} MB`;
        rmSync(db, { force: true });
        rmSync(`${db}.wal`, { force: true });
      }
    } else {
      const importer = importerFor(await detectFormat(file));
      let records = 0;
      let errors = 0;
      for await (const item of importer.read(file, {
        limits: { ...DEFAULT_IMPORT_LIMITS, ...over },
      } as never)) {
        if ('error' in item) errors++;
        else records++;
        if (errors >= maxErrors) break;
      }
      outcome = `read ${records} records, ${errors} errors${errors >= maxErrors ? ` (stopped at ${maxErrors})` : ''}`;
    }
  } catch (err) {
    const e = err as { code?: string; message: string };
    outcome = `refused ${e.code ?? ''}: ${e.message.slice(0, 160)}`;
  }
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, outcome }));
}

/** Streams `total` bytes of `unit` repeated, gzipped, into `path`. */
async function gzipRepeat(path: string, unit: string, total: number): Promise<void> {
  const chunk = Buffer.from(unit.repeat(Math.floor(MB / unit.length)));
  const n = Math.ceil(total / chunk.length);
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < n; i++) yield chunk;
      })(),
    ),
    createGzip({ level: 9 }),
    createWriteStream(path),
  );
}

async function files(): Promise<{ a: string; b: string; c: string }> {
  mkdirSync(OUT, { recursive: true });
  const a = join(OUT, 'a-empty-objects.jsonl.gz');
  if (!existsSync(a)) await gzipRepeat(a, '{}\n', 1.44e9);
  const b = join(OUT, 'b-1mb-responses.jsonl.gz');
  if (!existsSync(b)) {
    const response = 'x'.repeat(1_000_000);
    await pipeline(
      Readable.from(
        (function* () {
          for (let i = 0; i < 1000; i++)
            yield `${JSON.stringify({ benchmark: 'gen-bomb', model: 'gen-model', item_id: i, correct: true, response })}\n`;
        })(),
      ),
      createGzip({ level: 9 }),
      createWriteStream(b),
    );
  }
  const c = join(OUT, 'c-300mb-header.eval');
  if (!existsSync(c)) {
    const header = Buffer.alloc(300 * MB + 64, 0x20);
    header.write('{"eval": {"task": "gen-bomb", "model": "gen-model"}}', 300 * MB);
    const sample = strToU8(JSON.stringify({ id: 1, epoch: 1, scores: { s: { value: 'C' } } }));
    writeFileSync(c, zipSync({ 'header.json': header, 'samples/1_epoch_1.json': sample }, { level: 9 }));
  }
  return { a, b, c };
}

function run(file: string, mode: string, limits: string, maxErrors: number, timeoutS: number) {
  return new Promise<string>((resolve) => {
    const t0 = performance.now();
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        SELF,
        '--child',
        file,
        '--mode',
        mode,
        '--limit',
        limits,
        '--max-errors',
        String(maxErrors),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutS * 1000);
    p.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        const r = JSON.parse(line) as { ms: number; rssMB: number; outcome: string };
        resolve(
          `${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.rssMB.toFixed(0).padStart(5)} MB peak RSS  ${r.outcome}`,
        );
      } catch {
        resolve(`killed after ${((performance.now() - t0) / 1000).toFixed(0)} s (--timeout): not finished`);
      }
    });
  });
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    mode: { type: 'string', default: 'import' },
    limit: { type: 'string', default: '' },
    'max-errors': { type: 'string', default: String(Number.MAX_SAFE_INTEGER) },
    timeout: { type: 'string', default: '120' },
    only: { type: 'string', default: 'a,b,c' },
    server: { type: 'boolean', default: false },
    mysql: { type: 'string' },
  },
});

/** The size of the last --server case's DuckDB file after the server stopped. */
let lastStoreMB = 0;

/** One bomb against a real server: its answer, time, peak RSS and the /health latencies meanwhile. */
async function viaServer(
  file: string,
  type: string,
  timeoutS: number,
  mysqlServer?: string,
): Promise<string> {
  const db = join(OUT, `server-${process.pid}-${Date.now()}.duckdb`);
  let dbName: string | null = null;
  const env: Record<string, string> = {
    ...process.env,
    DUCKDB_PATH: db,
    DEMO_DATA: 'off',
    PORT: '0',
    LOG_LEVEL: 'warn',
  } as never;
  if (mysqlServer) {
    dbName = `evalhouse_bomb_${process.pid}_${Date.now()}`;
    const c = await mysql.createConnection(mysqlServer);
    await c.query(`CREATE DATABASE \`${dbName}\``);
    await c.end();
    env.MYSQL_URL = `${mysqlServer.replace(/\/$/, '')}/${dbName}`;
  }
  const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api/server.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const { readServerFile } = await import('../api/server-file.ts');
    let url: string | null = null;
    for (let i = 0; i < 600 && !url; i++) {
      url = readServerFile(db)?.url ?? null;
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    if (!url) return 'the server did not start';
    const health: number[] = [];
    let done = false;
    const poll = (async () => {
      while (!done) {
        const t = performance.now();
        try {
          await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(30_000) })).text();
          health.push(performance.now() - t);
        } catch {
          health.push(Number.POSITIVE_INFINITY);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    let answer: string;
    try {
      const res = await fetch(`${url}/imports?filename=${encodeURIComponent(file.split('/').at(-1)!)}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: Readable.toWeb(createReadStream(file)) as never,
        duplex: 'half',
        signal: AbortSignal.timeout(timeoutS * 1000),
      } as RequestInit);
      const j = (await res.json()) as {
        error?: string;
        message?: string;
        inserted?: number;
        errorCount?: number;
        stoppedEarly?: boolean;
        read?: number;
      };
      answer = res.ok
        ? `${res.status}: ${j.inserted} inserted`
        : `${res.status} ${j.error}: ${(j.message ?? '').slice(0, 140)}`;
    } catch (err) {
      answer = `no answer after ${timeoutS} s (${(err as Error).name})`;
    }
    const ms = performance.now() - t0;
    done = true;
    await poll;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
    const sorted = [...health].sort((x, y) => x - y);
    const q = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
    const alive = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 'down',
    );
    return `${(ms / 1000).toFixed(2).padStart(7)} s  ${(Number(hwm) / 1024).toFixed(0).padStart(5)} MB server peak RSS  ${answer}\n     /health during it: ${health.length} asked, p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${q(1).toFixed(0)} ms; after: ${alive}`;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('close', r));
    const size = existsSync(db) ? statSync(db).size : 0;
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
    if (dbName) {
      const c = await mysql.createConnection(mysqlServer!);
      await c.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
      await c.end();
    }
    lastStoreMB = size / MB;
  }
}

if (values.child) {
  await child(values.child, values.mode, values.limit, Number(values['max-errors']));
} else if (values.server) {
  const f = await files();
  const t = Number(values.timeout);
  const only = new Set(values.only.split(','));
  const cases: [string, string, string, string][] = [
    ['a', `(a) ${(statSync(f.a).size / 1e3).toFixed(0)} KB gzip of {} lines`, f.a, 'application/gzip'],
    [
      'b',
      `(b) ${(statSync(f.b).size / 1e3).toFixed(0)} KB gzip, 1,000 × 1 MB response`,
      f.b,
      'application/gzip',
    ],
    [
      'c',
      `(c) ${(statSync(f.c).size / 1e3).toFixed(0)} KB .eval with a 300 MB header.json`,
      f.c,
      'application/zip',
    ],
  ];
  console.log(
    `POST /imports on a real server (${values.mysql ? 'MySQL + mirror' : 'embedded DuckDB'}), default settings`,
  );
  for (const [key, label, file, type] of cases) {
    if (!only.has(key)) continue;
    console.log(label);
    console.log(`   ${await viaServer(file, type, t, values.mysql)}`);
    console.log(`     DuckDB file after: ${lastStoreMB.toFixed(1)} MB`);
  }
} else {
  const f = await files();
  const size = (p: string) => `${(statSync(p).size / 1e3).toFixed(0)} KB`;
  const t = Number(values.timeout);
  const only = new Set(values.only.split(','));
  const cases: [string, string, string, string, number][] = [
    ['a', `(a) ${size(f.a)} gzip of {} lines, importFile`, f.a, 'import', Number.MAX_SAFE_INTEGER],
    ['a', '(a) same, importer stopping at 1,000 errors (importFile maxErrors)', f.a, 'read', 1000],
    ['b', `(b) ${size(f.b)} gzip, 1,000 × 1 MB response, importFile`, f.b, 'import', Number.MAX_SAFE_INTEGER],
    ['b', '(b) same, importer only', f.b, 'read', Number.MAX_SAFE_INTEGER],
    [
      'c',
      `(c) ${size(f.c)} .eval with a 300 MB header.json, importFile`,
      f.c,
      'import',
      Number.MAX_SAFE_INTEGER,
    ],
  ];
  for (const [key, label, file, mode, maxErrors] of cases) {
    if (!only.has(key)) continue;
    console.log(`${label}\n   ${await run(file, mode, '', maxErrors, t)}`);
  }
  if (only.has('b')) {
    console.log(
      `(b) same, importer only, IMPORT_MAX_FIELD_BYTES=524288\n   ${await run(f.b, 'read', 'maxFieldBytes=524288', Number.MAX_SAFE_INTEGER, t)}`,
    );
  }
}
