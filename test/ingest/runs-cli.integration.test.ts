import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { isDatabaseOfRecord, openRecordStore } from '../../store/open.ts';
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

describe.each(['duckdb', 'mysql'] as const)('the audit of commands on the store itself (%s)', (kind) => {
  it('an import, a cancel and a delete each write the entry the API writes, by the command line', async () => {
    const mysql = kind === 'mysql' ? await createTestDatabase('cliaudit') : null;
    const env: Record<string, string> = {
      DUCKDB_PATH: `${tmp.dir}/audit-${kind}.duckdb`,
      PORT: String(await closedPort()),
      ...(mysql ? { AUTH: 'off', MYSQL_URL: mysql.url } : {}),
    };
    try {
      const file = `${tmp.dir}/audit-${kind}.jsonl`;
      writeFileSync(
        file,
        `${[record('r1', 'a'), record('r1', 'b')].map((r) => JSON.stringify(r)).join('\n')}\n`,
      );
      const imported = await evalhouse(['import', file], env).done;
      expect(imported.code, imported.stderr).toBe(0);

      // a run left running by a process that died: its last update long ago
      let staleId = 0;
      const store = await openRecordStore(loadConfig(env));
      try {
        const stale = await store.ensureRun({
          benchmark: 'bench-z',
          model: 'model-y',
          label: 'stale',
          source: 'runner',
          status: 'running',
        });
        staleId = stale.id;
        if (!isDatabaseOfRecord(store)) throw new Error('not a database of ours');
        await store.db.run("UPDATE runs SET status = 'running', updated_at = ? WHERE id = ?", [
          '2026-01-01 00:00:00',
          staleId,
        ]);
      } finally {
        await store.close();
      }
      const cancel = await evalhouse(['runs', 'cancel', String(staleId)], env).done;
      expect(cancel.code, cancel.stderr).toBe(0);
      const runs = await openRecordStore(loadConfig(env));
      let r1 = 0;
      try {
        r1 = (await runs.listRuns()).find((r) => r.label === 'r1')!.id;
      } finally {
        await runs.close();
      }
      const del = await evalhouse(['runs', 'delete', String(r1)], env).done;
      expect(del.code, del.stderr).toBe(0);
      // refused: nothing written
      const again = await evalhouse(['runs', 'delete', String(r1)], env).done;
      expect(again.code).toBe(1);

      const after = await openRecordStore(loadConfig(env));
      try {
        if (!isDatabaseOfRecord(after)) throw new Error('not a database of ours');
        const log = new KyselyAuditLog(accountDb(after));
        const entries = [...(await log.list({ limit: 100 }))].sort((a, b) => a.id - b.id);
        const [{ id: defaultId } = { id: 0 }] = await after.db.all<{ id: number }>(
          "SELECT id FROM workspaces WHERE slug = 'default'",
        );
        expect(entries.map((e) => [e.action, e.resource])).toEqual([
          ['import.create', `import:audit-${kind}.jsonl`],
          ['run.stop', `run:${staleId}`],
          ['run.delete', `run:${r1}`],
        ]);
        for (const e of entries) {
          expect(e.address).toBe('cli');
          expect(e.actor).toEqual({ userId: null, email: null, role: 'admin', keyId: null });
          expect(e.workspaceId).toBe(Number(defaultId));
        }
        expect(entries[0]!.after).toMatchObject({ file: `audit-${kind}.jsonl`, inserted: 2, duplicates: 0 });
        expect(entries[1]!.before).toEqual({ status: 'running' });
        expect(entries[1]!.after).toEqual({ status: 'paused' });
        expect((await after.getRun(staleId))?.status).toBe('paused');
        expect(entries[2]!.before).toMatchObject({ id: r1, label: 'r1', benchmark: 'bench-x' });
        expect((await log.verify()).ok).toBe(true);
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
