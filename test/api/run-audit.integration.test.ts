/**
 * Runs this server runs itself (POST /runs without a queue), on both engines: the run's row and its
 * `run.create` entry commit together, the paused status a cancel records and its `run.stop` entry too
 * (issue #21). An entry that cannot be written (the chain's head removed: every append fails) leaves no
 * new run row and keeps the old status.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../api/context.ts';
import { auditLogOf } from '../../api/data-audit.ts';
import type { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { openTestApp, type TestApp } from '../helpers/test-app.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 1 });
});
afterAll(async () => {
  await fake.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['duckdb', 'mysql'] as const)('run.create and run.stop of direct runs (%s)', (engine) => {
  let t: TestApp;
  let ctx: AppContext;
  let app: FastifyInstance;
  const raw = (sql: string, params: unknown[] = []) =>
    (ctx.record as DuckDbStore | MysqlStore).db.all<Record<string, unknown>>(sql, params);
  const entries = async (action: string, resource?: string) =>
    (await auditLogOf(ctx).list({ action })).filter((e) => resource === undefined || e.resource === resource);
  const start = (label: string, limit: number) =>
    app.inject({
      method: 'POST',
      url: '/runs',
      payload: {
        benchmark: 'mmlu',
        model: 'openai-compatible:fake',
        base_url: fake.openaiBaseURL,
        run_id: label,
        limit,
        concurrency: 1,
      },
    });
  const statusOf = async (id: number) => (await ctx.record.getRun(id))?.status;
  async function until(id: number, status: string) {
    for (let i = 0; i < 400 && (await statusOf(id)) !== status; i++) await sleep(25);
    expect(await statusOf(id)).toBe(status);
  }
  /** Runs `fn` with every audit append failing (the chain's head row removed), then puts the head back. */
  async function withoutAudit(fn: () => Promise<void>) {
    const [head] = await raw("SELECT value FROM settings WHERE name = 'audit_head'");
    expect(head).toBeDefined();
    await raw("DELETE FROM settings WHERE name = 'audit_head'");
    try {
      await fn();
    } finally {
      await raw("INSERT INTO settings (name, value) VALUES ('audit_head', ?)", [head!.value]);
    }
  }

  beforeAll(async () => {
    t = await openTestApp(engine, 'runaudit');
    ({ ctx, app } = t);
  });
  afterAll(() => t?.close());

  it('a started run and a resumed one each have one run.create entry', async () => {
    fake.set({ latencyMs: 1 });
    const res = await start('audited', 3);
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as number;
    await until(id, 'completed');
    const created = await entries('run.create', `run:${id}`);
    expect(created).toHaveLength(1);
    expect(created[0]!.after).toMatchObject({ benchmark: 'mmlu', label: 'audited', resumed: false });

    // the same label again resumes it: one more entry, saying so
    const again = await app.inject({
      method: 'POST',
      url: '/runs',
      payload: {
        benchmark: 'mmlu',
        model: 'openai-compatible:fake',
        base_url: fake.openaiBaseURL,
        resume: id,
        limit: 3,
      },
    });
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().id).toBe(id);
    await until(id, 'completed');
    const both = await entries('run.create', `run:${id}`);
    expect(both.map((e) => (e.after as { resumed: boolean }).resumed).sort()).toEqual([false, true]);
    expect(await entries('run.stop')).toEqual([]);
  }, 30_000);

  it('a cancel pauses the run with one run.stop entry', async () => {
    fake.set({ latencyMs: 150 });
    const res = await start('cancelled', 60);
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as number;
    const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel` });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json().status).toBe('paused');
    expect(await statusOf(id)).toBe('paused');
    const stops = await entries('run.stop', `run:${id}`);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.before).toEqual({ status: 'running' });
    expect(stops[0]!.after).toEqual({ status: 'paused' });
    // cancelling a stopped run changes nothing and writes nothing
    expect((await app.inject({ method: 'POST', url: `/runs/${id}/cancel` })).statusCode).toBe(200);
    expect(await entries('run.stop', `run:${id}`)).toHaveLength(1);
    expect((await auditLogOf(ctx).verify()).ok).toBe(true);
  }, 30_000);

  it('an entry that cannot be written undoes the change: no new run, the status kept', async () => {
    fake.set({ latencyMs: 150 });
    const before = (await auditLogOf(ctx).list({})).length;
    const asked = fake.requests.length;
    await withoutAudit(async () => {
      const refused = await start('unaudited', 3);
      expect(refused.statusCode).toBe(500);
      expect(await raw('SELECT id FROM runs WHERE label = ?', ['unaudited'])).toEqual([]);
    });
    // nothing was asked for the refused run
    expect(fake.requests.length).toBe(asked);

    const res = await start('stop-unaudited', 60);
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as number;
    await withoutAudit(async () => {
      const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel` });
      expect(cancel.statusCode).toBe(500);
      expect(await statusOf(id)).toBe('running');
    });
    // the run's own run.create only
    expect((await auditLogOf(ctx).list({})).length).toBe(before + 1);
    expect(await entries('run.stop', `run:${id}`)).toEqual([]);

    // its runner is gone: once it no longer looks alive, a cancel pauses it, audited once
    await raw('UPDATE runs SET updated_at = ? WHERE id = ?', ['2026-01-01 00:00:00.000', id]);
    const cancel = await app.inject({ method: 'POST', url: `/runs/${id}/cancel` });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await statusOf(id)).toBe('paused');
    const stops = await entries('run.stop', `run:${id}`);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.after).toEqual({ status: 'paused' });
    expect((await auditLogOf(ctx).verify()).ok).toBe(true);
  }, 30_000);
});
