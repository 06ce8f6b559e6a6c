import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture } from './fixture.ts';
import { close, type RefRequest, referenceAnalysis } from './reference.ts';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await openApiFixture();
});
afterAll(async () => fx?.close());

async function analysis(body: unknown, headers: Record<string, string> = {}) {
  const res = await fx.app.inject({ method: 'POST', url: '/analysis', payload: body as object, headers });
  return {
    status: res.statusCode,
    body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.rawPayload,
  };
}

function expectMatchesReference(
  body: { rows: Record<string, unknown>[]; excluded: number },
  req: RefRequest,
) {
  const ref = referenceAnalysis(fx.records, req);
  expect(body.excluded).toBe(ref.excluded);
  expect(body.rows.length).toBe(ref.rows.length);
  for (const want of ref.rows) {
    const got = body.rows.find(
      (r) => r.model === want.model && JSON.stringify(r.groups) === JSON.stringify(want.groups),
    );
    expect(got, `row ${want.model} ${JSON.stringify(want.groups)}`).toBeDefined();
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (k === 'groups' || k === 'model') continue;
      expect(close(got![k], want[k]), `${k}: got ${got![k]}, want ${want[k]}`).toBe(true);
    }
  }
}

describe('POST /analysis', () => {
  const cases: RefRequest[] = [
    { benchmark: 'alpha', levels: ['subj'] },
    { benchmark: 'alpha', levels: ['subj', 'lvl'], unscored: 'wrong' },
    { benchmark: 'alpha', levels: ['yr', 'hard', 'lvl'], models: ['model_z'] },
    { benchmark: 'alpha', levels: ['hard'], runs: ['r2'] },
    { benchmark: 'alpha', levels: ['lvl'], filters: { yr: [2019, 2021], hard: [true] } },
    { benchmark: 'beta', levels: ['topic'] },
  ];
  for (const c of cases) {
    for (const engine of ['duckdb', 'mysql'] as const) {
      it(`${engine}: ${JSON.stringify(c)} equals the in-memory computation`, async () => {
        const { status, body } = await analysis({ ...c, engine });
        expect(status).toBe(200);
        expect(body.meta.engine).toBe(engine);
        expectMatchesReference(body, c);
      });
    }
  }

  it('accepts level1/level2 as the short form, with the same answer', async () => {
    const long = await analysis({ benchmark: 'alpha', levels: ['subj', 'yr'] });
    const short = await analysis({ benchmark: 'alpha', level1: 'subj', level2: 'yr' });
    // equal up to the last bits of floating sums (DuckDB's parallel aggregation may add in another order)
    expect(short.body.rows.length).toBe(long.body.rows.length);
    short.body.rows.forEach((row: Record<string, unknown>, i: number) => {
      for (const [k, v] of Object.entries(row)) {
        const w = long.body.rows[i][k];
        if (typeof v === 'number') expect(close(v, w), `${k}: ${v} vs ${w}`).toBe(true);
        else expect(v).toEqual(w);
      }
    });
  });

  it('returns typed group values sorted naturally, and Wilson intervals', async () => {
    const { body } = await analysis({ benchmark: 'alpha', levels: ['yr'], models: ['model_x'] });
    expect(body.rows.map((r: { groups: { yr: number } }) => r.groups.yr)).toEqual([2019, 2020, 2021]);
    for (const r of body.rows) {
      // Wilson score interval from the formula, on items
      const z = 1.959964;
      const p = r.accuracy;
      const n = r.n_items;
      const c = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
      const h = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
      expect(r.ci95[0]).toBeCloseTo(c - h, 12);
      expect(r.ci95[1]).toBeCloseTo(c + h, 12);
    }
  });

  it('caches by data version: a repeat is served from the cache, new data changes the version', async () => {
    const req = { benchmark: 'alpha', levels: ['subj'], filters: { subj: ['subj_bio'] } };
    const a = await analysis(req);
    const b = await analysis(req);
    expect(a.body.meta.cached).toBe(false);
    expect(b.body.meta.cached).toBe(true);
    expect(b.body.rows).toEqual(a.body.rows);
    await fx.ctx.record.ingest([{ ...fx.records[0]!, model: 'model_new', run: 'late' }]);
    await fx.ctx.syncMirror();
    const c = await analysis(req);
    expect(c.body.meta.cached).toBe(false);
    expect(c.body.meta.data_version).not.toBe(a.body.meta.data_version);
  });

  it('runs identical concurrent requests once: the others wait for that answer', async () => {
    const engine = fx.ctx.analysis.engines.duckdb;
    const original = engine.query.bind(engine);
    let queries = 0;
    engine.query = ((...args: Parameters<typeof engine.query>) => {
      queries++;
      return original(...args);
    }) as typeof engine.query;
    try {
      const req = { benchmark: 'alpha', levels: ['lvl', 'subj'], filters: { yr: [2020] } };
      const answers = await Promise.all(Array.from({ length: 8 }, () => analysis(req)));
      expect(queries).toBe(1);
      expect(answers.filter((a) => a.body.meta.cached === false)).toHaveLength(1);
      for (const a of answers) expect(a.body.rows).toEqual(answers[0]!.body.rows);
      expectMatchesReference(answers[0]!.body, req);
    } finally {
      engine.query = original;
    }
  });

  it('answers Arrow IPC when asked', async () => {
    const { tableFromIPC } = await import('apache-arrow');
    const res = await fx.app.inject({
      method: 'POST',
      url: '/analysis',
      payload: { benchmark: 'alpha', levels: ['subj'] },
      headers: { accept: 'application/vnd.apache.arrow.stream' },
    });
    expect(res.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const t = tableFromIPC(res.rawPayload);
    const json = (await analysis({ benchmark: 'alpha', levels: ['subj'] })).body;
    expect(t.numRows).toBe(json.rows.length);
    expect(t.getChild('subj')!.get(0)).toBe(json.rows[0].groups.subj);
    expect(t.getChild('accuracy')!.get(0)).toBeCloseTo(json.rows[0].accuracy, 12);
  });

  const bad: [string, unknown, number, RegExp][] = [
    ['unknown field', { benchmark: 'alpha', levels: ['nope'] }, 400, /valid fields: subj, yr, hard, lvl/],
    ['a field of another benchmark', { benchmark: 'alpha', levels: ['topic'] }, 400, /unknown level field/],
    ['four levels', { benchmark: 'alpha', levels: ['subj', 'yr', 'hard', 'lvl'] }, 400, /levels/],
    ['repeated level', { benchmark: 'alpha', levels: ['subj', 'subj'] }, 400, /repeat/],
    ['unknown property', { benchmark: 'alpha', levels: ['subj'], extra: 1 }, 400, /extra|unrecognized/i],
    ['coercion refused', { benchmark: 'alpha', levels: 'subj' }, 400, /levels/],
    [
      'filter value of the wrong type',
      { benchmark: 'alpha', levels: ['subj'], filters: { yr: ['2019'] } },
      400,
      /integer/,
    ],
    [
      'unknown filter field',
      { benchmark: 'alpha', levels: ['subj'], filters: { 'x; DROP TABLE results': ['a'] } },
      400,
      /valid fields/,
    ],
    ['unknown engine', { benchmark: 'alpha', levels: ['subj'], engine: 'sqlite' }, 400, /engine/],
    [
      'unknown benchmark',
      { benchmark: 'nope', levels: ['subj'] },
      404,
      /unknown benchmark "nope"; known: alpha, beta/,
    ],
    [
      'unknown model',
      { benchmark: 'alpha', levels: ['subj'], models: ['gpt-9'] },
      404,
      /unknown model "gpt-9"/,
    ],
    ['unknown run', { benchmark: 'alpha', levels: ['subj'], runs: ['zzz'] }, 404, /unknown run/],
  ];
  for (const [name, body, status, msg] of bad) {
    it(`${status} for ${name}`, async () => {
      const res = await analysis(body);
      expect(res.status).toBe(status);
      expect(res.body.error).toBeTypeOf('string');
      expect(res.body.message).toMatch(msg);
    });
  }

  it('refuses answers above the row cap with a 400', async () => {
    const capped = fx.ctx.analysis.options.rowCap;
    (fx.ctx.analysis.options as { rowCap: number }).rowCap = 2;
    try {
      const res = await analysis({ benchmark: 'alpha', levels: ['subj'], filters: { hard: [false] } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('RESULT_TOO_LARGE');
    } finally {
      (fx.ctx.analysis.options as { rowCap: number }).rowCap = capped;
    }
  });

  it('answers 503 when a query exceeds its time limit, and the pools recover', async () => {
    const opts = fx.ctx.analysis.options as { timeoutMs: number };
    const saved = opts.timeoutMs;
    // queries that cannot finish in 50 ms
    const slow = {
      duckdb: 'SELECT sum(x * y) AS n FROM range(3000000000) t(x), range(2) u(y)',
      mysql: 'SELECT SUM(a.id * b.id * c.id % 7) AS n FROM results a, results b, results c',
    };
    opts.timeoutMs = 50;
    try {
      for (const engine of ['duckdb', 'mysql'] as const) {
        await expect(
          fx.ctx.analysis.run(fx.ctx.analysis.engine(engine), slow[engine], []),
        ).rejects.toMatchObject({
          statusCode: 503,
          code: 'QUERY_TIMEOUT',
        });
      }
    } finally {
      opts.timeoutMs = saved;
    }
    for (const engine of ['duckdb', 'mysql'] as const) {
      const res = await analysis({ benchmark: 'alpha', levels: ['yr'], engine, filters: { hard: [true] } });
      expect(res.status).toBe(200);
    }
  });
});
