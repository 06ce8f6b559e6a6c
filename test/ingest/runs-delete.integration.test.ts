import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../api/context.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { openTestApp } from '../helpers/test-app.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 1, answer: () => 'The answer is 42' });
});
afterAll(async () => {
  await fake.close();
});

async function count(ctx: AppContext, where: 'record' | 'mirror', sql: string, params: unknown[]) {
  const db = where === 'mirror' || !ctx.mysql ? ctx.duck.db : ctx.mysql.db;
  const [row] = await db.all<{ n: number | bigint }>(sql, params);
  return Number(row?.n ?? 0);
}

describe.each(['duckdb', 'mysql'] as const)('deleting runs through the API (%s store)', (kind) => {
  it('DELETE /runs/:id and DELETE /benchmarks/:b/data remove runs and results, in the mirror too', async () => {
    const t = await openTestApp(kind, 'runsdel');
    const { ctx, app } = t;
    try {
      const ids: number[] = [];
      for (const label of ['a', 'b', 'c']) {
        const res = await app.inject({
          method: 'POST',
          url: '/runs',
          payload: {
            benchmark: 'aime-2024',
            model: 'openai-compatible:fake',
            base_url: fake.openaiBaseURL,
            run_id: label,
            limit: 4,
          },
        });
        expect(res.statusCode, res.body).toBe(202);
        ids.push(res.json().id);
      }
      for (const id of ids) {
        for (let i = 0; i < 400 && (await ctx.record.getRun(id))?.status !== 'completed'; i++)
          await new Promise((r) => setTimeout(r, 25));
      }
      await ctx.syncMirror();
      const results = 'SELECT COUNT(*) AS n FROM results WHERE run_id = ?';
      for (const id of ids) {
        expect(await count(ctx, 'record', results, [id])).toBe(4);
        expect(await count(ctx, 'mirror', results, [id])).toBe(4);
      }
      const listed = await app.inject({ method: 'GET', url: '/runs?benchmark=aime-2024&status=completed' });
      expect(listed.json().total).toBe(3);

      const del = await app.inject({ method: 'DELETE', url: `/runs/${ids[0]}` });
      expect(del.statusCode, del.body).toBe(200);
      await ctx.syncMirror();
      expect(await ctx.record.getRun(ids[0]!)).toBeNull();
      expect(await count(ctx, 'record', results, [ids[0]])).toBe(0);
      expect(await count(ctx, 'mirror', results, [ids[0]])).toBe(0);
      expect(await count(ctx, 'mirror', 'SELECT COUNT(*) AS n FROM runs WHERE id = ?', [ids[0]])).toBe(0);
      // the other runs are untouched
      expect(await count(ctx, 'mirror', results, [ids[1]])).toBe(4);

      const bench = await app.inject({ method: 'DELETE', url: '/benchmarks/aime-2024/data' });
      expect(bench.json()).toEqual({ benchmark: 'aime-2024', runs_deleted: 2, run_ids: [ids[1], ids[2]] });
      await ctx.syncMirror();
      expect(await count(ctx, 'record', 'SELECT COUNT(*) AS n FROM results', [])).toBe(0);
      expect(await count(ctx, 'mirror', 'SELECT COUNT(*) AS n FROM results', [])).toBe(0);
      expect(await count(ctx, 'mirror', 'SELECT COUNT(*) AS n FROM runs', [])).toBe(0);
      expect((await app.inject({ method: 'GET', url: '/runs' })).json().total).toBe(0);
    } finally {
      await t.close();
    }
  }, 60_000);
});
