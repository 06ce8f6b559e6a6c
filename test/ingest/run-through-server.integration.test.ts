import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { extraPlugins } from '../../api/plugins.ts';
import { loadConfig } from '../../core/config.ts';
import { startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('evalhouse run while a server holds the embedded DuckDB file', () => {
  it('starts the run in the server and follows it to the end', async () => {
    const fake = await startFakeProvider({ latencyMs: 5, answer: () => 'The answer is 42' });
    const db = `${tmp.dir}/served.duckdb`;
    const ctx = await openContext(loadConfig({ DUCKDB_PATH: db, DEMO_DATA: 'off' }), { mirrorLoop: false });
    const app = await buildApp(ctx, { plugins: await extraPlugins() });
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
