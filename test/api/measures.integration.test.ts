import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAggregate } from '../../api/analysis/compile.ts';
import {
  AnalysisResponseSchema,
  MEASURE_NAMES,
  MEASURES,
  type MeasureName,
} from '../../api/analysis/measures.ts';
import { AnalysisRequest } from '../../api/analysis/request.ts';
import { resolveAnalysis } from '../../api/analysis/resolve.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

// deterministic, spread durations with ties and NULLs; two samples per item on model_b (the per-item path)
const ttft = (i: number, s: number) => (i % 7 === 3 ? null : ((i * 37 + s * 11) % 23) * 1.5 + 0.25);
const records = [
  ...Array.from({ length: 40 }, (_, i) => ({ model: 'model_a', i, s: 0 })),
  ...Array.from({ length: 40 }, (_, i) => [0, 1].map((s) => ({ model: 'model_b', i, s }))).flat(),
].map(({ model, i, s }) => ({
  benchmark: 'tt',
  model,
  run: `${model}-r1`,
  item_id: `i${i}`,
  sample: s,
  outcome: i % 3 ? ('correct' as const) : ('incorrect' as const),
  correct: i % 3 !== 0,
  score: null,
  metadata: { part: i % 2 ? 'odd' : 'even' },
  latency_ms: 100 + i,
  ttft_ms: ttft(i, s),
}));

/** Nearest rank: the smallest value with at least q·n of the values at or below it. */
function nearestRank(values: (number | null)[], q: number): number | null {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.max(1, Math.ceil(q * v.length)) - 1]!;
}

describe('the measures catalogue', () => {
  let fx: ApiFixture;
  beforeAll(async () => {
    fx = await openApiFixture({ records });
  });
  afterAll(async () => fx?.close());

  const post = (payload: object, headers: Record<string, string> = {}) =>
    fx.app.inject({ method: 'POST', url: '/analysis', payload, headers });

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`${engine}: ttft_ms_p50 / p95 are the nearest-rank quantiles of the stored ttft_ms`, async () => {
      const res = await post({ benchmark: 'tt', levels: ['part'], engine });
      expect(res.statusCode).toBe(200);
      const rows = res.json().rows as Record<string, unknown>[];
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        const part = (row.groups as { part: string }).part;
        const mine = records.filter((r) => r.model === row.model && r.metadata.part === part);
        expect(row.ttft_ms_p50).toBe(
          nearestRank(
            mine.map((r) => r.ttft_ms),
            0.5,
          ),
        );
        expect(row.ttft_ms_p95).toBe(
          nearestRank(
            mine.map((r) => r.ttft_ms),
            0.95,
          ),
        );
        expect(row.latency_ms_p95).toBe(
          nearestRank(
            mine.map((r) => r.latency_ms),
            0.95,
          ),
        );
      }
    });

    it(`${engine}: measures picks the row's measures; only accuracy and ci95 give only those`, async () => {
      const all = (await post({ benchmark: 'tt', levels: ['part'], engine })).json();
      const res = await post({ benchmark: 'tt', levels: ['part'], engine, measures: ['ci95', 'accuracy'] });
      expect(res.statusCode).toBe(200);
      const rows = res.json().rows as Record<string, unknown>[];
      expect(rows.map((r) => Object.keys(r))).toEqual(
        rows.map(() => ['model', 'groups', 'accuracy', 'ci95']),
      );
      expect(rows.map((r) => [r.accuracy, r.ci95])).toEqual(
        all.rows.map((r: Record<string, unknown>) => [r.accuracy, r.ci95]),
      );
      expect(res.json().totals).toEqual(all.totals);
    });
  }

  it('every catalogue measure is in a default answer, which the response schema accepts', async () => {
    const res = await post({ benchmark: 'tt', levels: ['part'], pass_at: [1], maj_at: [1] });
    const body = res.json();
    const keys = new Set(Object.keys(body.rows[0]));
    for (const name of MEASURE_NAMES) {
      expect(keys.has(MEASURES[name].kind === 'estimator' ? name.replace('k', '1') : name), name).toBe(true);
    }
    expect(keys.size).toBe(2 + MEASURE_NAMES.length);
    expect(() => AnalysisResponseSchema.parse(body)).not.toThrow();
    // an answer row with a key the catalogue does not declare is not what the schema documents
    expect(() => AnalysisResponseSchema.parse({ ...body, rows: [{ ...body.rows[0], extra: 1 }] })).toThrow();
  });

  it('/openapi.json documents every catalogue measure in the rows of POST /analysis', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const ok = doc.paths['/analysis'].post.responses['200'].content['application/json'].schema;
    const row = ok.properties.rows.items;
    const scalar = MEASURE_NAMES.filter((n) => MEASURES[n].kind !== 'estimator');
    expect(Object.keys(row.properties).sort()).toEqual(['groups', 'model', ...scalar].sort());
    for (const name of scalar) expect(row.properties[name].description).toBe(MEASURES[name].description);
  });

  it('the Arrow stream has a column per selected measure (an interval as _low/_high)', async () => {
    const arrow = (measures?: MeasureName[]) =>
      post(
        { benchmark: 'tt', levels: ['part'], ...(measures ? { measures } : {}) },
        { accept: 'application/vnd.apache.arrow.stream' },
      ).then((r) => tableFromIPC(r.rawPayload).schema.fields.map((f) => f.name));
    expect(await arrow(['ttft_ms_p95', 'ci95'])).toEqual([
      'model',
      'part',
      // catalogue order (the one flattening every export shares, api/exports/tables.ts)
      'ci95_low',
      'ci95_high',
      'ttft_ms_p95',
    ]);
    const names = await arrow();
    for (const name of MEASURE_NAMES) {
      const m = MEASURES[name];
      if (m.kind === 'estimator') continue;
      expect(names).toEqual(
        expect.arrayContaining(m.type === 'interval' ? [`${name}_low`, `${name}_high`] : [name]),
      );
    }
  });

  it('an unknown measure is a 400 that lists the valid ones; pass_at needs pass@k', async () => {
    const res = await post({ benchmark: 'tt', levels: ['part'], measures: ['accuracy', 'speed'] });
    expect(res.statusCode).toBe(400);
    for (const name of MEASURE_NAMES) expect(res.body).toContain(name);
    const pass = await post({ benchmark: 'tt', levels: ['part'], measures: ['accuracy'], pass_at: [1] });
    expect(pass.statusCode).toBe(400);
    expect(pass.json().message).toContain('pass@k');
  });

  it('the compiled SQL computes quantiles only when they are asked for (both engines, both query shapes)', async () => {
    const view = await fx.ctx.analysis.catalog();
    for (const models of [['model_a'], ['model_b']]) {
      for (const dialect of ['duckdb', 'mysql'] as const) {
        const sql = (measures?: MeasureName[]) => {
          const req = AnalysisRequest.parse({ benchmark: 'tt', levels: ['part'], models, measures });
          return compileAggregate(resolveAnalysis(view, req), dialect, 100).sql;
        };
        const lean = sql(['accuracy', 'ci95']);
        for (const text of [
          'quantile_disc',
          'ROW_NUMBER',
          'latency_ms',
          'ttft_ms',
          'tokens_in',
          'cost_usd',
        ]) {
          expect(lean).not.toContain(text);
        }
        const full = sql();
        for (const text of ['latency_ms', 'ttft_ms', 'tokens_in', 'tokens_out', 'cost_usd']) {
          expect(full).toContain(text);
        }
        expect(full).toContain(dialect === 'duckdb' ? 'quantile_disc' : 'ROW_NUMBER');
        const ttftOnly = sql(['ttft_ms_p50']);
        expect(ttftOnly).toContain('ttft_ms');
        expect(ttftOnly).not.toContain('latency_ms');
      }
    }
  });
});
