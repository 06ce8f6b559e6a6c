import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('evalhouse run while a server holds the embedded DuckDB file', () => {
  it('starts the run in the server and follows it to the end', async () => {
    const fake = await startFakeProvider({ latencyMs: 5, answer: () => 'The answer is 42' });
    const db = `${tmp.dir}/served.duckdb`;
    const ctx = await openContext(loadConfig({ DUCKDB_PATH: db, DEMO_DATA: 'off' }), { mirrorLoop: false });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    try {
      const r = await evalhouse(
        [
          'run',
          '--benchmark',
          'aime-2024',
          '--model',
          'openai-compatible:fake-1',
          '--base-url',
          fake.openaiBaseURL,
          '--limit',
          '5',
        ],
        { DUCKDB_PATH: db, PORT: String(port) },
      ).done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/a server holds the DuckDB file: run #\d+/);
      expect(r.stdout).toMatch(/completed/);
      expect(fake.answered()).toBe(5);
      const runs = await ctx.record.listRuns();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        benchmark: 'aime-2024',
        model: 'openai-compatible:fake-1',
        status: 'completed',
      });
      const done = await ctx.record.doneKeys(runs[0]!.id);
      expect(done.size).toBe(5);
      // options the server cannot take are refused up front
      const bad = await evalhouse(
        ['run', '--benchmark', 'aime-2024', '--model', 'x:y', '--write-behind', '2'],
        {
          DUCKDB_PATH: db,
          PORT: String(port),
        },
      ).done;
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--write-behind is not available when the run goes through the server/);
    } finally {
      await app.close();
      await ctx.close();
      await fake.close();
    }
  }, 60_000);
});

/** A server on the embedded DuckDB file, with the runs plugin, on a free port. */
async function serve(db: string) {
  const ctx = await openContext(loadConfig({ DUCKDB_PATH: db, DEMO_DATA: 'off' }), { mirrorLoop: false });
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { ctx, app, env: { DUCKDB_PATH: db, PORT: String(port) } };
}

async function until(what: string, ok: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 600; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('stopping and leaving runs that go through the server', () => {
  let fake: FakeProvider;
  afterAll(() => fake?.close());
  const runArgs = (url: string) => [
    'run',
    '--benchmark',
    'aime-2024',
    '--model',
    'openai-compatible:slow',
    '--base-url',
    url,
    '--concurrency',
    '1',
  ];

  it('Ctrl-C cancels the run in the server (paused, as locally; exit 3) and nothing more is asked', async () => {
    fake = await startFakeProvider({ latencyMs: 300, answer: () => 'The answer is 42' });
    const s = await serve(`${tmp.dir}/sigint.duckdb`);
    try {
      const cli = evalhouse(runArgs(fake.openaiBaseURL), s.env);
      let err = '';
      cli.child.stderr!.on('data', (d) => {
        err += d;
      });
      await until(
        'the run to start in the server',
        () => /started there/.test(err) && fake.requests.length >= 2,
      );
      cli.child.kill('SIGINT');
      const r = await cli.done;
      expect(r.code, r.stderr).toBe(3);
      expect(r.stdout).toMatch(/paused: interrupted \(cancelled through the API/);
      const [run] = await s.ctx.record.listRuns();
      expect(run).toMatchObject({ status: 'paused' });
      const asked = fake.requests.length;
      expect(asked).toBeLessThan(30);
      await new Promise((res) => setTimeout(res, 500));
      expect(fake.requests.length).toBe(asked);
    } finally {
      await s.app.close();
      await s.ctx.close();
      await fake.close();
    }
  }, 60_000);

  it('--detach leaves the run to the server; runs list, cancel and delete reach it', async () => {
    fake = await startFakeProvider({ latencyMs: 600, answer: () => 'The answer is 42' });
    const s = await serve(`${tmp.dir}/detach.duckdb`);
    try {
      const r = await evalhouse([...runArgs(fake.openaiBaseURL), '--detach'], s.env).done;
      expect(r.code, r.stderr).toBe(0);
      const id = Number(/run #(\d+)/.exec(r.stdout)?.[1]);
      expect(r.stdout).toContain(`/runs/${id}`);
      // the CLI is gone, the run goes on
      const before = fake.requests.length;
      await until('more requests', () => fake.requests.length > before);
      expect((await s.ctx.record.getRun(id))?.status).toBe('running');

      const list = await evalhouse(['runs', 'list', '--json'], s.env).done;
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout)).toMatchObject({
        total: 1,
        runs: [{ id, status: 'running', active: true }],
      });

      const refused = await evalhouse(['runs', 'delete', String(id)], s.env).done;
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/cancel it first/);

      const cancel = await evalhouse(['runs', 'cancel', String(id)], s.env).done;
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(
        new RegExp(`run #${id} paused: interrupted \\(cancelled through the API`),
      );

      const del = await evalhouse(['runs', 'delete', String(id)], s.env).done;
      expect(del.code, del.stderr).toBe(0);
      expect(del.stdout).toMatch(/deleted run #\d+ \(aime-2024/);
      expect(await s.ctx.record.getRun(id)).toBeNull();
      expect((await s.ctx.record.doneKeys(id)).size).toBe(0);
    } finally {
      await s.app.close();
      await s.ctx.close();
      await fake.close();
    }
  }, 60_000);
});

describe('evalhouse run through a server that goes away', () => {
  it('says it lost the server and how to resume, without a stack trace', async () => {
    const fake = await startFakeProvider({ latencyMs: 3000, answer: () => 'The answer is 42' });
    const s = await serve(`${tmp.dir}/lost.duckdb`);
    try {
      const cli = evalhouse(
        [
          'run',
          '--benchmark',
          'aime-2024',
          '--model',
          'openai-compatible:slow',
          '--base-url',
          fake.openaiBaseURL,
        ],
        s.env,
      );
      let err = '';
      cli.child.stderr!.on('data', (d) => {
        err += d;
      });
      await until(
        'the run to start in the server',
        () => /started there/.test(err) && fake.requests.length >= 1,
      );
      const closing = s.app.close(); // pauses its run once the requests in flight are answered
      const r = await cli.done;
      await closing;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/lost the server at http:\/\/127\.0\.0\.1:\d+ .*resume with --resume \d+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await s.ctx.close();
      await fake.close();
    }
  }, 60_000);
});
