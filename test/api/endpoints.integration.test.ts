import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalhouse } from '../helpers/cli.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

let fx: ApiFixture;
const tmp = tmpDir();
beforeAll(async () => {
  fx = await openApiFixture();
});
afterAll(async () => {
  await fx?.close();
  tmp.cleanup();
});

const get = async (url: string) => {
  const res = await fx.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
};
const post = async (url: string, payload: object) => {
  const res = await fx.app.inject({ method: 'POST', url, payload });
  return { status: res.statusCode, body: res.json() };
};

describe('catalog endpoints', () => {
  it('GET /benchmarks counts items, models, runs and results', async () => {
    const { status, body } = await get('/benchmarks');
    expect(status).toBe(200);
    const alpha = body.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'alpha');
    const recs = fx.records.filter((r) => r.benchmark === 'alpha');
    expect(alpha).toMatchObject({
      items: new Set(recs.map((r) => r.item_id)).size,
      models: new Set(recs.map((r) => r.model)).size,
      runs: new Set(recs.map((r) => `${r.model}/${r.run}`)).size,
      results: recs.length,
    });
    expect(alpha.metadata.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual([
      'subj:string',
      'yr:integer',
      'hard:boolean',
      'lvl:string',
    ]);
  });

  it('GET /benchmarks/{b}/metadata gives each field its values with item counts and nulls', async () => {
    const { body } = await get('/benchmarks/alpha/metadata');
    const items = new Map(
      fx.records.filter((r) => r.benchmark === 'alpha').map((r) => [r.item_id, r.metadata]),
    );
    const lvl = body.fields.find((f: { name: string }) => f.name === 'lvl');
    const nulls = [...items.values()].filter((m) => m.lvl === null).length;
    expect(lvl.nulls).toBe(nulls);
    expect(lvl.distinct).toBe(3);
    for (const v of lvl.values)
      expect(v.count).toBe([...items.values()].filter((m) => m.lvl === v.value).length);
    const yr = body.fields.find((f: { name: string }) => f.name === 'yr');
    expect(yr.values.map((v: { value: number }) => v.value)).toEqual([2019, 2020, 2021]);
    expect(yr.capped).toBe(false);
    expect((await get('/benchmarks/nope/metadata')).status).toBe(404);
  });

  it('POST /benchmarks/{b}/metadata/options lists the fields usable at the next level', async () => {
    const { status, body } = await post('/benchmarks/alpha/metadata/options', {
      level1: 'lvl',
      level1_values: ['lvl_easy'],
    });
    expect(status).toBe(200);
    expect(body.level).toBe(2);
    const items = new Map(
      fx.records.filter((r) => r.benchmark === 'alpha').map((r) => [r.item_id, r.metadata]),
    );
    const chosen = [...items.values()].filter((m) => m.lvl === 'lvl_easy');
    const subj = body.fields.find((f: { name: string }) => f.name === 'subj');
    for (const v of subj.values) expect(v.count).toBe(chosen.filter((m) => m.subj === v.value).length);
    expect(body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['hard', 'subj', 'yr']);
    const l3 = await post('/benchmarks/alpha/metadata/options', { level1: 'lvl', level2: 'subj' });
    expect(l3.body.level).toBe(3);
    expect(l3.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['hard', 'yr']);
    const bad = await post('/benchmarks/alpha/metadata/options', { level1: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/valid fields: subj, yr, hard, lvl/);
    expect(
      (await post('/benchmarks/alpha/metadata/options', { level1: 'lvl', level1_values: [3] })).status,
    ).toBe(400);
    expect((await post('/benchmarks/alpha/metadata/options', { level1: 'lvl', extra: true })).status).toBe(
      400,
    );
  });

  it("GET /analysis/summary gives each model's accuracy with stderr per benchmark", async () => {
    const { body } = await get('/analysis/summary');
    const beta = body.benchmarks.find((b: { benchmark: string }) => b.benchmark === 'beta');
    expect(beta.models).toHaveLength(1);
    // the fixture's beta benchmark has 10 items, counted as GET /benchmarks counts them
    const list = (await get('/benchmarks')).body.benchmarks.find(
      (b: { benchmark: string }) => b.benchmark === 'beta',
    );
    expect(beta.items).toBe(10);
    expect(beta.items).toBe(list.items);
    expect(beta.models[0]).toMatchObject({ model: 'model_x', n: 10, accuracy: 0.5 });
    expect(beta.models[0].stderr).toBeCloseTo(Math.sqrt((0.25 * (10 / 9)) / 10), 12);
  });
});

describe('health, metrics, docs', () => {
  it('GET /health reports ok with pool state and mirror lag', async () => {
    await fx.ctx.syncMirror();
    const { status, body } = await get('/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', store: 'mysql', problems: [] });
    expect(body.pools.mysql).toMatchObject({ size: 4, queued: 0 });
    expect(body.pools.duckdb.size).toBe(4);
    expect(body.mirror.lag_rows).toBe(0);
  });

  it('GET /metrics passes promtool and counts requests by route', async () => {
    await post('/analysis', { benchmark: 'alpha', levels: ['subj'] });
    const res = await fx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(
      /evalhouse_http_request_duration_seconds_count\{method="POST",route="\/analysis",status_code="200"\} \d+/,
    );
    expect(text).toMatch(/evalhouse_query_duration_seconds_count\{engine="duckdb"\} \d+/);
    expect(text).toMatch(/evalhouse_pool_connections\{pool="mysql",state="free"\} \d+/);
    expect(text).toMatch(/evalhouse_mirror_lag_rows 0/);
    // the runtime metrics keep the names stock Node.js dashboards query
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).not.toMatch(/evalhouse_process_/);
    const promtool = spawnSync('promtool', ['--version']);
    if (promtool.error) {
      if (process.env.REQUIRE_PROMTOOL) throw new Error('promtool is required (apt-get install prometheus)');
      console.warn('promtool not installed: skipped the promtool lint (.ci/run installs it)');
      return;
    }
    const file = `${tmp.dir}/metrics.txt`;
    writeFileSync(file, text);
    const lint = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
    // every line promtool prints is a problem: none, on our names or the runtime ones
    expect(`${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.trim() !== '')).toEqual([]);
    expect(lint.status).toBe(0);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const { body } = await get('/openapi.json');
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/analysis', '/benchmarks', '/health', '/imports']),
    );
    expect(body.paths['/analysis'].post.requestBody).toBeDefined();
    const docs = await fx.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
  });

  it('unknown routes answer a JSON 404', async () => {
    const { status, body } = await get('/nope');
    expect(status).toBe(404);
    expect(body.error).toBe('NOT_FOUND');
  });
});

describe('POST /imports', () => {
  it('imports a real Inspect log and a CSV, idempotently', async () => {
    const file = `${SHARED_DATA}formats/inspect/data_arc_sonnet.json`;
    const send = () =>
      fx.app.inject({
        method: 'POST',
        url: '/imports?filename=data_arc_sonnet.json',
        payload: readFileSync(file),
        headers: { 'content-type': 'application/octet-stream' },
      });
    const a = await send();
    expect(a.statusCode, a.body).toBe(200);
    const s = a.json();
    expect(s).toMatchObject({ format: 'inspect', committed: true, duplicates: 0 });
    expect(s.inserted).toBe(s.rows);
    const b = (await send()).json();
    expect(b).toMatchObject({ inserted: 0, duplicates: s.rows });
    // the import is visible to the analysis at once (the mirror synced)
    const bench = (await get('/benchmarks')).body.benchmarks.map((x: { benchmark: string }) => x.benchmark);
    expect(bench.length).toBe(3);
    const csv = 'benchmark,model,item_id,correct,meta.topic\ngamma,m,1,1,a\ngamma,m,2,0,b\n';
    const c = await fx.app.inject({
      method: 'POST',
      url: '/imports?filename=r.csv',
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(c.json()).toMatchObject({ format: 'canonical', rows: 2, inserted: 2 });
  });

  it('answers 400 with line-numbered errors and writes nothing', async () => {
    const body = [
      JSON.stringify({ benchmark: 'delta', model: 'm', item_id: 1, correct: true }),
      JSON.stringify({ benchmark: 'delta', model: 'm', item_id: 2, correct: 'maybe' }),
      JSON.stringify({ benchmark: 'delta', model: 'm', correct: true }),
    ].join('\n');
    const res = await fx.app.inject({
      method: 'POST',
      url: '/imports?filename=x.jsonl',
      payload: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.statusCode).toBe(400);
    const j = res.json();
    expect(j.error).toBe('INVALID_IMPORT');
    expect(j.details.errors.map((e: { line: number; field: string }) => `${e.line}:${e.field}`)).toEqual([
      '2:correct',
      '3:item_id',
    ]);
    expect(j.details.errors[0].file).toBe('x.jsonl');
    expect(
      (await get('/benchmarks')).body.benchmarks.map((x: { benchmark: string }) => x.benchmark),
    ).not.toContain('delta');
    const skipped = await fx.app.inject({
      method: 'POST',
      url: '/imports?filename=x.jsonl&skip_invalid=true',
      payload: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(skipped.json()).toMatchObject({ inserted: 1, skipped: 2 });
  });

  it('rejects bad query parameters and empty or undetectable bodies with 400', async () => {
    const bad = await fx.app.inject({
      method: 'POST',
      url: '/imports?format=xml',
      payload: 'x',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.statusCode).toBe(400);
    const traversal = await fx.app.inject({
      method: 'POST',
      url: '/imports?filename=../../etc/passwd',
      payload: 'x',
      headers: { 'content-type': 'text/csv' },
    });
    expect(traversal.statusCode).toBe(400);
    const odd = await fx.app.inject({
      method: 'POST',
      url: '/imports?filename=notes.txt',
      payload: 'hello',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(odd.statusCode).toBe(400);
    expect(odd.json().message).toMatch(/cannot tell the format/);
    expect(odd.json().error).toBe('UNKNOWN_FORMAT');
  });
});

describe('the CLI in embedded mode while a server holds the DuckDB file', () => {
  it('sends the import to the server instead of opening the file', async () => {
    // a second fixture on embedded DuckDB, listening on a real port
    const { openContext } = await import('../../api/context.ts');
    const { buildApp } = await import('../../api/app.ts');
    const { loadConfig } = await import('../../core/config.ts');
    const db = `${tmp.dir}/served.duckdb`;
    const ctx = await openContext(loadConfig({ DUCKDB_PATH: db, DEMO_DATA: 'off' }), { mirrorLoop: false });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    try {
      const file = `${tmp.dir}/via.jsonl`;
      writeFileSync(file, `${JSON.stringify({ benchmark: 'via', model: 'm', item_id: 1, correct: true })}\n`);
      // the server runs in this process: the CLI must be spawned asynchronously
      const r = await evalhouse(['import', file], { DUCKDB_PATH: db, PORT: String(port) }).done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/importing through http:\/\/127\.0\.0\.1:\d+\/imports/);
      expect(r.stdout).toMatch(/1 rows \(1 new/);
      const runs = await ctx.record.listRuns();
      expect(runs.map((r) => r.benchmark)).toEqual(['via']);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
