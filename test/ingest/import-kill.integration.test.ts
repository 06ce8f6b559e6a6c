/**
 * kill -9 of an import mid-write, on the embedded DuckDB file and on MariaDB (through its DuckDB mirror):
 * the partial run is not answered from (/benchmarks, /analysis, /analysis/summary, /trends, engine mysql),
 * and importing the file again completes it with exactly the file's rows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createTestDatabase, TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const ROWS = 120_000;
const BATCH = 5_000;
const tmp = tmpDir('evalhouse-import-kill-');
afterAll(() => tmp.cleanup());

/** A canonical JSONL file: one run of ROWS items, metadata `topic` with 4 values, every 3rd answer correct. */
function bigFile(): string {
  const file = join(tmp.dir, 'big.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    lines.push(
      JSON.stringify({
        benchmark: 'killbench',
        model: 'killmodel',
        run: 'r1',
        item_id: `q${i}`,
        correct: i % 3 === 0,
        metadata: { topic: `t${i % 4}` },
      }),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Live (non-zombie) processes of a process group, from /proc: a zombie holds no file lock. */
function groupAlive(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/**
 * Starts the import child, waits until it wrote `atLeast` rows (and then until `ready` says so, when
 * given), then kill -9s its process group.
 */
async function importAndKill(
  file: string,
  env: Record<string, string>,
  atLeast: number,
  ready?: () => Promise<boolean>,
): Promise<number> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['node_modules/tsx/dist/cli.mjs', 'test/helpers/import-child.ts', file, String(BATCH)],
    {
      cwd: ROOT,
      env: { ...process.env, MYSQL_URL: '', DEMO_DATA: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let out = '';
  let written = 0;
  const landed = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const all = [...out.matchAll(/written (\d+)\//g)];
      written = all.length ? Number(all[all.length - 1]![1]) : 0;
      if (written >= atLeast) resolve();
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    child.on('exit', () => reject(new Error(`the import ended before it was killed:\n${out}`)));
  });
  await landed;
  if (ready) {
    const ended = new Promise<boolean>((res) => child.on('exit', () => res(true)));
    let exited = false;
    void ended.then(() => {
      exited = true;
    });
    while (!exited && !(await ready())) await new Promise((res) => setTimeout(res, 5));
    if (exited) throw new Error(`the import ended before it was killed:\n${out}`);
  }
  process.kill(-child.pid!, 'SIGKILL');
  while (groupAlive(child.pid!)) await new Promise((res) => setTimeout(res, 5));
  expect(out).not.toMatch(/^done/m);
  return written;
}

/** Opens a server context; the killed child's file lock can outlive its last /proc entry by a moment. */
async function open(env: Record<string, string | undefined>) {
  for (let attempt = 0; ; attempt++) {
    try {
      // the server's view over MySQL: AUTH=auto would turn sign-in on
      return await openContext(loadConfig({ DEMO_DATA: 'off', AUTH: 'off', ...env }), { mirrorLoop: false });
    } catch (err) {
      if (attempt > 100 || !/in use by another process/.test((err as Error).message)) throw err;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

async function checkServerView(env: Record<string, string | undefined>, expectedRows: number | null) {
  const ctx = await open(env);
  await ctx.syncMirror();
  const app = await buildApp(ctx);
  try {
    const list = (await app.inject({ method: 'GET', url: '/benchmarks' })).json();
    const b = list.benchmarks.find((x: { benchmark: string }) => x.benchmark === 'killbench');
    const summary = (await app.inject({ method: 'GET', url: '/analysis/summary' })).json();
    const sb = summary.benchmarks?.find?.((x: { benchmark: string }) => x.benchmark === 'killbench');
    const engines = ctx.mysql ? ['duckdb', 'mysql'] : ['duckdb'];
    const analyses = [];
    for (const engine of engines) {
      const res = await app.inject({
        method: 'POST',
        url: '/analysis',
        payload: { benchmark: 'killbench', levels: ['topic'], engine },
      });
      expect(res.statusCode, res.body).toBe(200);
      analyses.push(res.json());
    }
    const items = await app.inject({ method: 'GET', url: '/benchmarks/killbench/items/analysis?limit=5' });
    expect(items.statusCode, items.body).toBe(200);
    const tr = await app.inject({ method: 'GET', url: '/trends?benchmark=killbench&model_prefix=kill' });
    // the hidden run's model is unknown to /trends (404); once complete it has a trend
    expect(tr.statusCode, tr.body).toBe(expectedRows === null ? 404 : 200);
    const trends = tr.json();
    if (expectedRows === null) {
      // the killed run: listed nowhere an analysis answers from
      expect(b?.results ?? 0).toBe(0);
      expect(b?.runs ?? 0).toBe(0);
      expect(sb?.results ?? 0).toBe(0);
      for (const a of analyses) expect(a.rows).toEqual([]);
      expect(trends.error).toBe('NOT_FOUND');
      expect(items.body).not.toMatch(/killmodel/);
    } else {
      expect(b).toMatchObject({ runs: 1, results: expectedRows });
      expect(sb).toMatchObject({ runs: 1, results: expectedRows });
      expect(JSON.stringify(trends)).toMatch(/killmodel/);
      expect(items.body).toMatch(/killmodel/);
      for (const a of analyses) {
        expect(a.rows.reduce((s: number, r: { n: number }) => s + r.n, 0)).toBe(expectedRows);
        const correct = a.rows.reduce((s: number, r: { correct: number }) => s + r.correct, 0);
        expect(correct).toBe(Math.ceil(expectedRows / 3));
      }
    }
  } finally {
    await app.close();
    await ctx.close();
  }
}

describe('a killed import', () => {
  it('embedded DuckDB: the partial run is not answered from; importing again completes it exactly', async () => {
    const file = bigFile();
    const db = join(tmp.dir, 'kill.duckdb');
    // the record path: batches land one by one (the bulk path writes none until its one commit)
    const written = await importAndKill(file, { DUCKDB_PATH: db, IMPORT_BULK: 'off' }, 2 * BATCH);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(ROWS);
    await checkServerView({ DUCKDB_PATH: db }, null);
    const ctx = await open({ DUCKDB_PATH: db });
    try {
      const [{ n }] = (await ctx.duck.db.all<{ n: number }>(
        'SELECT count(*)::INTEGER AS n FROM results',
      )) as [{ n: number }];
      expect(n).toBeGreaterThanOrEqual(written); // rows landed: the run really was partial
      expect(n).toBeLessThan(ROWS);
      const s = await importFile(ctx.record, file);
      expect(s).toMatchObject({ committed: true, rows: ROWS, inserted: ROWS - n, duplicates: n });
      const [after] = await ctx.duck.db.all<{ n: number; keys: number }>(
        'SELECT count(*)::INTEGER AS n, count(DISTINCT (run_id, item_id, sample))::INTEGER AS keys FROM results',
      );
      expect(after).toEqual({ n: ROWS, keys: ROWS });
      expect((await ctx.record.findRun('killbench', 'killmodel', 'r1'))?.status).toBe('imported');
    } finally {
      await ctx.close();
    }
    await checkServerView({ DUCKDB_PATH: db }, ROWS);
  }, 120_000);

  it('embedded DuckDB, the bulk path: killed while DuckDB writes, nothing is stored; importing again stores the file once', async () => {
    const file = bigFile();
    const db = join(tmp.dir, 'kill-bulk.duckdb');
    // the bulk path reports 0 rows written once its scan is done and DuckDB starts reading
    await importAndKill(file, { DUCKDB_PATH: db, IMPORT_BULK: 'on' }, 0);
    const ctx = await open({ DUCKDB_PATH: db });
    try {
      const count = async () =>
        (
          await ctx.duck.db.all<{ n: number; keys: number; runs: number }>(
            `SELECT (SELECT count(*) FROM results)::INTEGER AS n,
                  (SELECT count(DISTINCT (run_id, item_id, sample)) FROM results)::INTEGER AS keys,
                  (SELECT count(*) FROM runs)::INTEGER AS runs`,
          )
        )[0];
      expect(await count()).toEqual({ n: 0, keys: 0, runs: 0 });
      const s = await importFile(ctx.record, file);
      expect(s).toMatchObject({ path: 'bulk', committed: true, rows: ROWS, inserted: ROWS, duplicates: 0 });
      expect(await count()).toEqual({ n: ROWS, keys: ROWS, runs: 1 });
    } finally {
      await ctx.close();
    }
    await checkServerView({ DUCKDB_PATH: db }, ROWS);
  }, 120_000);

  it('MariaDB (through the DuckDB mirror): the partial run is not answered from; importing again completes it', async () => {
    const file = bigFile();
    const database = await createTestDatabase('kill');
    try {
      const env = { MYSQL_URL: database.url, DUCKDB_PATH: join(tmp.dir, 'mirror.duckdb') };
      // the record path (the bulk path writes no result until its one commit: next test)
      const written = await importAndKill(file, { ...env, IMPORT_BULK: 'off' }, 2 * BATCH);
      expect(written).toBeLessThan(ROWS);
      await checkServerView(env, null);
      const ctx = await open(env);
      try {
        const [[{ n }]] = (await ctx.mysql!.pool.query('SELECT count(*) AS n FROM results')) as unknown as [
          [{ n: number }],
        ];
        expect(Number(n)).toBeGreaterThanOrEqual(written);
        expect(Number(n)).toBeLessThan(ROWS);
        const s = await importFile(ctx.record, file);
        expect(s).toMatchObject({ committed: true, rows: ROWS, inserted: ROWS - Number(n) });
        const [[after]] = (await ctx.mysql!.pool.query(
          'SELECT count(*) AS n, count(DISTINCT run_id, item_id, sample) AS k FROM results',
        )) as unknown as [[{ n: number; k: number }]];
        expect([Number(after.n), Number(after.k)]).toEqual([ROWS, ROWS]);
      } finally {
        await ctx.close();
      }
      await checkServerView(env, ROWS);
    } finally {
      await database.drop();
    }
  }, 180_000);

  it('MariaDB, the bulk path: killed while MariaDB loads the results, none is stored; importing again stores the file once', async () => {
    const file = bigFile();
    const database = await createTestDatabase('killbulk');
    const watch = await mysql.createConnection(TEST_MYSQL_SERVER);
    try {
      const env = { MYSQL_URL: database.url, DUCKDB_PATH: join(tmp.dir, 'mirror-bulk.duckdb') };
      // killed in the middle of the results' LOAD DATA, the one statement that writes them
      await importAndKill(file, { ...env, IMPORT_BULK: 'on' }, 0, async () => {
        const [[row]] = (await watch.query(
          `SELECT count(*) AS n FROM information_schema.processlist
           WHERE db = ? AND info LIKE 'LOAD DATA%INTO TABLE results%'`,
          [database.name],
        )) as unknown as [[{ n: number }]];
        return Number(row!.n) > 0;
      });
      const ctx = await open(env);
      try {
        const count = async () => {
          const [[r]] = (await ctx.mysql!.pool.query(
            'SELECT count(*) AS n, count(DISTINCT run_id, item_id, sample) AS k FROM results',
          )) as unknown as [[{ n: number; k: number }]];
          return [Number(r.n), Number(r.k)];
        };
        // the server rolls the killed connection's transaction back (it may take a moment to see the kill)
        for (let i = 0; i < 200 && (await count())[0]! > 0; i++) await new Promise((r) => setTimeout(r, 50));
        expect(await count()).toEqual([0, 0]);
        const s = await importFile(ctx.record, file);
        expect(s).toMatchObject({ path: 'bulk', committed: true, rows: ROWS, inserted: ROWS, duplicates: 0 });
        expect(await count()).toEqual([ROWS, ROWS]);
      } finally {
        await ctx.close();
      }
      await checkServerView(env, ROWS);
    } finally {
      await watch.end();
      await database.drop();
    }
  }, 180_000);
});
