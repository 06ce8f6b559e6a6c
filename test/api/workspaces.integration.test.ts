/**
 * Database per workspace, through HTTP with API keys of the account store (AUTH=on): the same benchmark
 * slug imported into two workspaces with different results; every read (analysis, summary, compare,
 * items, item results, runs, benchmarks, exports) of one shows its own rows only; a key of one workspace
 * gets 404 for the other, a viewer 403 on writes and deletes, no credentials 401; imports and deletes
 * are audited in the workspace's own database, in the change's transaction (a refused import writes no
 * entry; an entry that cannot be written undoes its import). Embedded DuckDB and MariaDB.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import type { AuditActor, Workspace } from '../../accounts/types.ts';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { startRetention } from '../../api/retention-schedule.ts';
import { Workspaces, workspaceDuckdbPath } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { importFile } from '../../ingest/import-file.ts';
import { evalhouse } from '../helpers/cli.ts';
import { TEST_MYSQL_SERVER } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const KEYS = {
  'admin-default': { workspace: 'default', role: 'admin' },
  'admin-other': { workspace: 'other', role: 'admin' },
  'editor-other': { workspace: 'other', role: 'editor' },
  'viewer-other': { workspace: 'other', role: 'viewer' },
} as const;
type Key = keyof typeof KEYS;
const BY: AuditActor = {
  actor: { userId: null, email: null, role: null, keyId: null },
  requestId: null,
  address: null,
};

/** `n` items of benchmark `shared`, the first `right` of them correct, topics by workspace. */
const lines = (model: string, n: number, right: number, topic: string) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      benchmark: 'shared',
      model,
      item_id: `q${i}`,
      correct: i < right,
      metadata: { topic },
      response: `${model}-${topic}-${i}`,
    }),
  ).join('\n');

// default: m1 5/6, m2 2/6 (6 items, topic d); other: m1 1/4, m3 4/4 (4 items, topic o)
const DEFAULT_FILE = `${lines('m1', 6, 5, 'd')}\n${lines('m2', 6, 2, 'd')}\n`;
const OTHER_FILE = `${lines('m1', 4, 1, 'o')}\n${lines('m3', 4, 4, 'o')}\n`;

describe.each([
  { engine: 'duckdb', mysql: false },
  { engine: 'mysql', mysql: true },
])('workspaces on $engine', ({ mysql: useMysql }) => {
  const tmp = tmpDir('evalhouse-ws-');
  const dbName = `t_ten_${randomBytes(3).toString('hex')}`;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let app: FastifyInstance;
  let other: Workspace;
  const tokens = new Map<Key, string>();
  /** The audit log of a workspace's own database. */
  const auditOf = async (slug: 'default' | 'other') => {
    const w = await workspaces.context(slug === 'default' ? { id: 1, slug } : other);
    return new KyselyAuditLog(accountDb(w.mysql ?? w.duck));
  };

  const call = (
    key: Key | null,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    opts: { workspace?: string; body?: unknown; raw?: string } = {},
  ) =>
    app.inject({
      method,
      url,
      headers: {
        ...(key ? { authorization: `Bearer ${tokens.get(key)}` } : {}),
        ...(opts.workspace ? { 'x-evalhouse-workspace': opts.workspace } : {}),
        ...(opts.raw !== undefined ? { 'content-type': 'application/x-ndjson' } : {}),
      },
      ...(opts.raw !== undefined
        ? { payload: opts.raw }
        : opts.body !== undefined
          ? { payload: opts.body as object }
          : {}),
    });

  beforeAll(async () => {
    let mysqlUrl: string | undefined;
    if (useMysql) {
      const c = await mysql.createConnection(TEST_MYSQL_SERVER);
      await c.query(`CREATE DATABASE \`${dbName}\``);
      await c.end();
      mysqlUrl = `${TEST_MYSQL_SERVER.replace(/\/$/, '')}/${dbName}`;
    }
    ctx = await openContext(
      loadConfig({ DUCKDB_PATH: `${tmp.dir}/w.duckdb`, DEMO_DATA: 'off', AUTH: 'on', MYSQL_URL: mysqlUrl }),
      { mirrorLoop: false },
    );
    workspaces = new Workspaces(ctx, { mirrorLoop: false });
    const accounts = ctx.accounts!;
    other = await accounts.createWorkspace('other', 'Other', BY);
    const user = await accounts.createUser({ email: 'tester@example.com' }, BY);
    for (const [name, k] of Object.entries(KEYS) as [Key, (typeof KEYS)[Key]][]) {
      const ws = (await accounts.getWorkspace(k.workspace))!;
      await accounts.setMembership(user.id, ws.id, 'admin', BY);
      const made = await accounts.createKey(
        { userId: user.id, workspaceId: ws.id, role: k.role, name, expiresAt: null },
        BY,
      );
      tokens.set(name, made.token);
    }
    app = await buildApp(ctx, { workspaces });
    const a = await call('admin-default', 'POST', '/imports?filename=d.jsonl', { raw: DEFAULT_FILE });
    expect(a.statusCode, a.body).toBe(200);
    const b = await call('editor-other', 'POST', '/imports?filename=o.jsonl', {
      raw: OTHER_FILE,
      workspace: 'other',
    });
    expect(b.statusCode, b.body).toBe(200);
    expect(b.json()).toMatchObject({ inserted: 8, duplicates: 0 });
  });

  afterAll(async () => {
    await app?.close();
    await workspaces?.close();
    await ctx?.close();
    if (useMysql) {
      const c = await mysql.createConnection(TEST_MYSQL_SERVER);
      await c.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
      await c.query(`DROP DATABASE IF EXISTS \`${dbName}_ws${other?.id ?? 2}\``);
      await c.end();
    }
    tmp.cleanup();
  });

  it('keeps the other workspace in a database of its own', async () => {
    expect(existsSync(workspaceDuckdbPath(`${tmp.dir}/w.duckdb`, other.id))).toBe(true);
    expect(workspaceDuckdbPath('/x/evalhouse.duckdb', 2)).toBe('/x/evalhouse.ws-2.duckdb');
    if (useMysql) {
      const [rows] = await ctx.mysql!.pool.query('SHOW DATABASES LIKE ?', [`${dbName}_ws${other.id}`]);
      expect(rows).toHaveLength(1);
    }
  });

  it('answers each workspace with its own rows only (analysis, summary, benchmarks, runs)', async () => {
    const analysis = async (key: Key, workspace?: string) => {
      const res = await call(key, 'POST', '/analysis', {
        workspace,
        body: { benchmark: 'shared', levels: [] },
      });
      expect(res.statusCode, res.body).toBe(200);
      return Object.fromEntries(
        (res.json().rows as { model: string; n: number; accuracy: number }[]).map((r) => [
          r.model,
          [r.n, r.accuracy],
        ]),
      );
    };
    expect(await analysis('admin-default')).toEqual({ m1: [6, 5 / 6], m2: [6, 2 / 6] });
    expect(await analysis('viewer-other', 'other')).toEqual({ m1: [4, 1 / 4], m3: [4, 1] });
    // a key's only workspace is its default: no header needed
    expect(await analysis('viewer-other')).toEqual({ m1: [4, 1 / 4], m3: [4, 1] });

    const summary = (await call('viewer-other', 'GET', '/analysis/summary')).json();
    expect(summary.benchmarks).toHaveLength(1);
    expect(summary.benchmarks[0]).toMatchObject({ benchmark: 'shared', items: 4, runs: 2, results: 8 });

    const benchmarks = (await call('admin-default', 'GET', '/benchmarks')).json().benchmarks;
    expect(benchmarks[0]).toMatchObject({
      benchmark: 'shared',
      items: 6,
      results: 12,
      model_names: ['m1', 'm2'],
    });
    const theirs = (await call('viewer-other', 'GET', '/benchmarks')).json().benchmarks;
    expect(theirs[0]).toMatchObject({ benchmark: 'shared', items: 4, results: 8, model_names: ['m1', 'm3'] });

    const meta = (await call('viewer-other', 'GET', '/benchmarks/shared/metadata')).json();
    const topic = meta.fields.find((f: { name: string }) => f.name === 'topic');
    expect(topic.values).toEqual([{ value: 'o', count: 4 }]);

    const runs = (await call('viewer-other', 'GET', '/runs')).json();
    expect(runs.total).toBe(2);
    expect(runs.runs.map((r: { model: string }) => r.model).sort()).toEqual(['m1', 'm3']);
    expect((await call('admin-default', 'GET', '/runs')).json().total).toBe(2);
  });

  it('compares, analyses items and reads item results within the workspace', async () => {
    const cmp = await call('viewer-other', 'POST', '/compare', {
      body: { benchmark: 'shared', models: ['m3', 'm1'], levels: [] },
    });
    expect(cmp.statusCode, cmp.body).toBe(200);
    expect(JSON.stringify(cmp.json())).not.toContain('m2');
    const [overall] = cmp.json().rows;
    // other's numbers: m3 4/4 against m1 1/4 on its 4 items (default's m1 is 5/6 on 6)
    expect(overall).toMatchObject({ model: 'm3', baseline: 'm1', n_paired: 4, diff: 0.75 });
    // m2 exists in default only
    const none = await call('viewer-other', 'POST', '/compare', {
      body: { benchmark: 'shared', models: ['m1', 'm2'], levels: [] },
    });
    expect(none.statusCode).toBe(404);

    const items = (await call('viewer-other', 'GET', '/benchmarks/shared/items/analysis')).json();
    expect(items.total_items).toBe(4);
    expect(items.models.map((m: { model: string }) => m.model).sort()).toEqual(['m1', 'm3']);

    const results = (await call('viewer-other', 'GET', '/benchmarks/shared/items/q0/results')).json();
    expect(results.total).toBe(2);
    expect(results.results.map((r: { response: string }) => r.response).sort()).toEqual(['m1-o-0', 'm3-o-0']);
    const mine = (await call('admin-default', 'GET', '/benchmarks/shared/items/q5/results')).json();
    expect(mine.total).toBe(2);
    expect((await call('viewer-other', 'GET', '/benchmarks/shared/items/q5/results')).statusCode).toBe(404);
  });

  it('exports only the workspace rows', async () => {
    const res = await call('viewer-other', 'POST', '/exports', {
      body: { kind: 'results', format: 'csv', query: { benchmark: 'shared' }, provenance_line: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.body.trim().split('\n');
    expect(rows).toHaveLength(1 + 8);
    expect(res.body).not.toContain('-d-');
    const ours = await call('admin-default', 'POST', '/exports', {
      body: { kind: 'results', format: 'csv', query: { benchmark: 'shared' }, provenance_line: false },
    });
    expect(ours.body.trim().split('\n')).toHaveLength(1 + 12);
  });

  it('answers 404 for a workspace the key is not a member of, 403 for a role too low, 401 without a key', async () => {
    const other = await call('admin-default', 'GET', '/runs', { workspace: 'other' });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('m3');
    expect((await call('admin-other', 'GET', '/runs', { workspace: 'default' })).statusCode).toBe(404);
    expect((await call('admin-other', 'GET', '/runs', { workspace: 'nowhere' })).statusCode).toBe(404);

    const imp = await call('viewer-other', 'POST', '/imports?filename=v.jsonl', { raw: OTHER_FILE });
    expect(imp.statusCode).toBe(403);
    const run = await call('viewer-other', 'POST', '/runs', { body: { benchmark: 'shared', model: 'm1' } });
    expect(run.statusCode).toBe(403);
    const [first] = (await call('viewer-other', 'GET', '/runs')).json().runs;
    expect((await call('viewer-other', 'DELETE', `/runs/${first.id}`)).statusCode).toBe(403);
    expect((await call('editor-other', 'DELETE', `/runs/${first.id}`)).statusCode).toBe(403);
    expect((await call('viewer-other', 'DELETE', '/benchmarks/shared/data')).statusCode).toBe(403);

    expect((await call(null, 'GET', '/runs')).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/runs', headers: { authorization: 'Bearer nope' } }))
        .statusCode,
    ).toBe(401);
    // nothing of the refused writes was audited
    const actions = (await (await auditOf('other')).list({})).map((e) => e.action);
    expect(actions).toEqual(['import.create']);
    expect((await call(null, 'GET', '/health')).statusCode).toBe(200);
  });

  it('deletes a run of one workspace without touching the other', async () => {
    const theirs = (await call('admin-other', 'GET', '/runs')).json().runs as { id: number; model: string }[];
    const m1 = theirs.find((r) => r.model === 'm1')!;
    const del = await call('admin-other', 'DELETE', `/runs/${m1.id}`);
    expect(del.statusCode, del.body).toBe(200);
    expect((await call('admin-other', 'GET', '/runs')).json().total).toBe(1);
    // the same run id in default is another run, still there
    expect((await call('admin-default', 'GET', '/runs')).json().total).toBe(2);
  });

  it("audits each workspace's imports in its own database, with the import", async () => {
    const theirs = await (await auditOf('other')).list({ action: 'import.create' });
    expect(theirs).toHaveLength(1);
    expect(theirs[0]).toMatchObject({
      workspaceId: other.id,
      resource: 'import:o.jsonl',
      actor: { role: 'editor', keyId: expect.any(Number) },
      after: { file: 'o.jsonl', inserted: 8, duplicates: 0, runs: 2 },
    });
    const ours = await (await auditOf('default')).list({ action: 'import.create' });
    expect(ours.map((e) => e.resource)).toEqual(['import:d.jsonl']);
    expect((await (await auditOf('other')).verify()).ok).toBe(true);

    // a refused import (an invalid record) writes no entry
    const bad = await call('editor-other', 'POST', '/imports?filename=bad.jsonl', {
      raw: '{"benchmark":"shared","model":"m1"}\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(await (await auditOf('other')).list({ action: 'import.create' })).toHaveLength(1);
  });

  it.each([
    { path: 'one batch', bulk: false, batchSize: 1000 },
    { path: 'several batches', bulk: false, batchSize: 3 },
    { path: 'bulk', bulk: true, batchSize: 1000 },
  ])('commits the import with its hook, and undoes it when the hook fails ($path)', async (o) => {
    const w = await workspaces.context(other);
    const file = `${tmp.dir}/hook-${o.batchSize}-${o.bulk}.jsonl`;
    writeFileSync(file, lines(`hook-${o.batchSize}-${o.bulk}`, 5, 2, 'h'));
    const results = async () => {
      await w.syncMirror();
      const [r] = await w.analysis.run<{ n: number }>(w.duckEngine, 'SELECT count(*) AS n FROM results', []);
      return Number(r!.n);
    };
    const before = await results();
    await expect(
      importFile(w.record, file, {
        bulk: o.bulk,
        batchSize: o.batchSize,
        onCommit: async () => {
          throw new Error('no audit today');
        },
      }),
    ).rejects.toThrow('no audit today');
    // nothing of the import stayed
    expect(await results()).toBe(before);
    const seen: unknown[] = [];
    const summary = await importFile(w.record, file, {
      bulk: o.bulk,
      batchSize: o.batchSize,
      onCommit: async (_trx, c) => {
        seen.push(c);
      },
    });
    expect(summary).toMatchObject({ committed: true, path: o.bulk ? 'bulk' : 'records' });
    expect(seen).toEqual([expect.objectContaining({ inserted: 5, duplicates: 0, runs: 1 })]);
    expect(await results()).toBe(before + 5);
  });

  it('deletes a run of one workspace without touching the other, and audits it there', async () => {
    const theirs = (await call('admin-other', 'GET', '/runs')).json().runs as { id: number; model: string }[];
    const m3 = theirs.find((r) => r.model === 'm3')!;
    expect((await call('admin-other', 'DELETE', `/runs/${m3.id}`)).statusCode).toBe(200);
    const [entry] = await (await auditOf('other')).list({ action: 'run.delete' });
    expect(entry).toMatchObject({ resource: `run:${m3.id}`, before: { id: m3.id, model: 'm3' } });
    expect(await (await auditOf('default')).list({ action: 'run.delete' })).toHaveLength(0);
  });

  it("applies each workspace's retention to its own database only", async () => {
    const w = await workspaces.context(other);
    const kysely = (w.mysql ?? w.duck).kysely;
    // every run of both workspaces dated long ago: only `other` has retention
    for (const k of [kysely, (ctx.mysql ?? ctx.duck).kysely])
      await k.updateTable('runs').set({ created_at: '2000-01-01 00:00:00' }).execute();
    await ctx.accounts!.setRetention(other.id, 30, BY);
    const defaultRuns = (await ctx.record.listRuns()).length;
    const theirs = (await w.record.listRuns()).map((r) => `run:${r.id}`);
    expect(theirs.length).toBeGreaterThan(0);
    const logged: string[] = [];
    const retention = startRetention(ctx.accounts!, workspaces, 0, (m) => logged.push(m));
    await retention.runOnce();
    await retention.stop();
    expect(logged.join('\n')).toMatch(/workspace other older than 30 day/);
    expect(await w.record.listRuns()).toEqual([]);
    expect((await ctx.record.listRuns()).length).toBe(defaultRuns);
    // one entry per deleted run, in the workspace's own log
    const entries = await (await auditOf('other')).list({ action: 'retention.delete' });
    expect(entries.map((x) => x.resource).sort()).toEqual(theirs.sort());
    for (const entry of entries) expect(entry).toMatchObject({ workspaceId: other.id });
    expect(await (await auditOf('default')).list({ action: 'retention.delete' })).toHaveLength(0);
  });

  // the CLI on one engine: its transport is the same on both
  if (!useMysql)
    it('the CLI talks to the server with EVALHOUSE_API_KEY and --workspace', async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const file = `${tmp.dir}/cli.jsonl`;
      writeFileSync(file, lines('cli-model', 3, 3, 'c'));
      const env = {
        DUCKDB_PATH: `${tmp.dir}/w.duckdb`,
        EVALHOUSE_URL: url,
        DEMO_DATA: 'off',
        EVALHOUSE_API_KEY: tokens.get('editor-other')!,
      };
      const imported = await evalhouse(['import', file, '--workspace', 'other'], env).done;
      expect(imported.code, imported.stderr).toBe(0);
      const theirs = (await call('viewer-other', 'GET', '/runs')).json().runs as { model: string }[];
      expect(theirs.map((r) => r.model)).toContain('cli-model');
      const ours = (await call('admin-default', 'GET', '/runs')).json().runs as { model: string }[];
      expect(ours.map((r) => r.model)).not.toContain('cli-model');
      // the key is of `other`: naming default is a workspace it is not a member of
      const refused = await evalhouse(['runs', 'list', '--workspace', 'default'], env).done;
      expect(refused.code).toBe(1);
      expect(refused.stderr + refused.stdout).toMatch(/workspace/);
      expect(refused.stderr + refused.stdout).not.toContain(env.EVALHOUSE_API_KEY);
    }, 60_000);
});
