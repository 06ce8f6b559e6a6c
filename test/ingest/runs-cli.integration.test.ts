import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { openRecordStore } from '../../store/open.ts';
import { startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse } from '../helpers/cli.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const record = (run: string, item: string) => ({
  benchmark: 'bench-x',
  model: 'model-y',
  run,
  item_id: item,
  sample: 0,
  outcome: 'correct' as const,
  correct: true,
  score: 1,
  metadata: {},
});

describe.each(['duckdb', 'mysql'] as const)('evalhouse runs without a server (%s store)', (kind) => {
  it('lists, refuses to delete or cancel a live run, deletes runs and a benchmark', async () => {
    const mysql = kind === 'mysql' ? await createTestDatabase('runscli') : null;
    // no server answers at PORT: the CLI works on the store itself
    const env: Record<string, string> = {
      DUCKDB_PATH: `${tmp.dir}/${kind}.duckdb`,
      PORT: String(await closedPort()),
      ...(mysql ? { AUTH: 'off', MYSQL_URL: mysql.url } : {}),
    };
    const store = await openRecordStore(loadConfig(env));
    let ids: number[];
    try {
      await store.ingest([record('r1', 'a'), record('r1', 'b'), record('r2', 'a')]);
      const live = await store.ensureRun({
        benchmark: 'bench-z',
        model: 'model-y',
        label: 'live',
        source: 'runner',
        status: 'running',
      });
      await store.updateRun(live.id, { status: 'running' });
      ids = (await store.listRuns()).map((r) => r.id);
    } finally {
      await store.close();
    }
    try {
      // first, while the live run's last update is recent (a runner saves every 5 s; 30 s counts as alive)
      const liveId = ids[2]!;
      const del = await evalhouse(['runs', 'delete', String(liveId)], env).done;
      expect(del.code).toBe(1);
      expect(del.stderr).toMatch(/is running .*cancel it first/);
      const cancel = await evalhouse(['runs', 'cancel', String(liveId)], env).done;
      expect(cancel.code).toBe(1);
      expect(cancel.stderr).toMatch(/running in another process/);

      const list = await evalhouse(['runs', 'list', '--json', '--benchmark', 'bench-x'], env).done;
      expect(list.code, list.stderr).toBe(0);
      const listed = JSON.parse(list.stdout) as { runs: { id: number; label: string }[]; total: number };
      expect(listed.total).toBe(2);
      expect(listed.runs.map((r) => r.label)).toEqual(['r2', 'r1']);
      const table = await evalhouse(['runs', 'list'], env).done;
      expect(table.stdout).toMatch(/live\s+running/);

      const one = await evalhouse(['runs', 'delete', String(ids[0])], env).done;
      expect(one.code, one.stderr).toBe(0);
      const bench = await evalhouse(['runs', 'delete', '--benchmark', 'bench-x'], env).done;
      expect(bench.code, bench.stderr).toBe(0);
      const unknown = await evalhouse(['runs', 'delete', '--benchmark', 'bench-x'], env).done;
      expect(unknown.code).toBe(1);
      const after = await openRecordStore(loadConfig(env));
      try {
        expect((await after.listRuns()).map((r) => r.label)).toEqual(['live']);
        expect((await after.doneKeys(ids[0]!)).size).toBe(0);
        expect((await after.doneKeys(ids[1]!)).size).toBe(0);
      } finally {
        await after.close();
      }
    } finally {
      await mysql?.drop();
    }
  }, 90_000);
});

describe('evalhouse runs cancel with MySQL', () => {
  it('reaches the server at EVALHOUSE_URL that runs the run, though the CLI needs no server otherwise', async () => {
    const mysql = await createTestDatabase('runscancel');
    const fake = await startFakeProvider({ latencyMs: 600, answer: () => 'The answer is 42' });
    const config = loadConfig({
      AUTH: 'off',
      MYSQL_URL: mysql.url,
      DUCKDB_PATH: `${tmp.dir}/mirror.duckdb`,
      DEMO_DATA: 'off',
    });
    const ctx = await openContext(config, { mirrorLoop: false });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/runs',
        payload: {
          benchmark: 'aime-2024',
          model: 'openai-compatible:slow',
          base_url: fake.openaiBaseURL,
          concurrency: 1,
        },
      });
      const id = res.json().id as number;
      const env = {
        AUTH: 'off',
        MYSQL_URL: mysql.url,
        DUCKDB_PATH: `${tmp.dir}/cli-mirror.duckdb`,
        PORT: String(port),
      };
      const cancel = await evalhouse(['runs', 'cancel', String(id)], env).done;
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(/paused: interrupted \(cancelled through the API/);
      expect((await ctx.record.getRun(id))?.status).toBe('paused');
    } finally {
      await app.close();
      await ctx.close();
      await fake.close();
      await mysql.drop();
    }
  }, 60_000);
});
