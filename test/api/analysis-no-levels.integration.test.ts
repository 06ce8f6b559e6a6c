/**
 * `levels: []`: one row per model over the whole selection, so harness files without metadata (Inspect,
 * promptfoo) get an overall accuracy. Real harness files from test/fixtures, on both engines, checked
 * against an in-memory computation (per-model mean of item means) and the micro total of a 1-level analysis.
 */
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../core/types.ts';
import { detectFormat, importerFor } from '../../ingest/importers/detect.ts';
import { SHARED_DATA } from '../helpers/tmp.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';
import { close, referenceAnalysis } from './reference.ts';

const FORMATS = join(SHARED_DATA, 'formats');
const FILES = [
  'inspect/data_arc_sonnet.json',
  'inspect/data_arc_qwen.json',
  // one model, two runs of the same task: items are averaged over both runs first
  'inspect/2025-05-12T20-28-13-04-00_popularity.json',
  'inspect/2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval',
  'promptfoo/sample-export.json',
  'lm-eval/negotiationtom_qwen3-8b/samples_negotiationtom_desire_2026-07-08T18-15-33.115417.jsonl',
  'lm-eval/negotiationtom_qwen3-8b/samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl',
];

async function readRecords(): Promise<CanonicalRecord[]> {
  const out: CanonicalRecord[] = [];
  for (const f of FILES) {
    const path = join(FORMATS, f);
    for await (const it of importerFor(await detectFormat(path)).read(path, {})) {
      if ('error' in it) throw new Error(`${f}: ${JSON.stringify(it.error)}`);
      out.push(it.record);
    }
  }
  return out;
}

let fx: ApiFixture;
beforeAll(async () => {
  fx = await openApiFixture({ records: await readRecords() });
});
afterAll(async () => fx?.close());

async function analysis(body: object, headers: Record<string, string> = {}) {
  const res = await fx.app.inject({ method: 'POST', url: '/analysis', payload: body, headers });
  return res;
}
const benchmarks = () => [...new Set(fx.records.map((r) => r.benchmark))].sort();

describe('POST /analysis with levels []', () => {
  it('the fixture has benchmarks without any metadata field', () => {
    const bare = benchmarks().filter((b) =>
      fx.records.filter((r) => r.benchmark === b).every((r) => Object.keys(r.metadata).length === 0),
    );
    expect(bare).toEqual(expect.arrayContaining(['inspect_evals/arc_easy']));
    expect(bare.length).toBeGreaterThanOrEqual(2);
  });

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`${engine}: one row per model with groups {}, equal to the mean of item means`, async () => {
      for (const benchmark of benchmarks()) {
        for (const unscored of ['exclude', 'wrong'] as const) {
          const res = await analysis({ benchmark, levels: [], engine, unscored });
          expect(res.statusCode, res.body).toBe(200);
          const body = res.json();
          expect(body.levels).toEqual([]);
          expect(body.excluded).toBe(0);
          const ref = referenceAnalysis(fx.records, { benchmark, levels: [], unscored });
          const models = [
            ...new Set(fx.records.filter((r) => r.benchmark === benchmark).map((r) => r.model)),
          ];
          expect(ref.rows.length).toBe(models.length);
          expect(body.rows.map((r: { model: string }) => r.model).sort()).toEqual(models.sort());
          for (const want of ref.rows) {
            const got = body.rows.find((r: { model: string }) => r.model === want.model);
            expect(got.groups).toEqual({});
            for (const k of Object.keys(want) as (keyof typeof want)[]) {
              if (k === 'groups' || k === 'model') continue;
              expect(
                close(got[k], want[k]),
                `${benchmark} ${want.model} ${k}: got ${got[k]}, want ${want[k]}`,
              ).toBe(true);
            }
            // the totals of one row: micro is the row, macro over its single group is the same
            const t = body.totals.find((x: { model: string }) => x.model === want.model);
            expect(close(t.micro.accuracy, want.accuracy)).toBe(true);
            expect(t.micro.n).toBe(want.n_items);
            expect(t.macro.groups).toBe(want.n_items > 0 ? 1 : 0);
          }
        }
      }
    });

    it(`${engine}: equals the micro total of a 1-level analysis over a field without NULLs`, async () => {
      const benchmark = 'negotiationtom_desire';
      const none = (await analysis({ benchmark, levels: [], engine })).json();
      for (const field of ['agent', 'slot', 'dialogue_id']) {
        const one = (await analysis({ benchmark, levels: [field], engine })).json();
        expect(one.excluded).toBe(0);
        expect(one.rows.length).toBeGreaterThan(none.rows.length);
        for (const row of none.rows) {
          const t = one.totals.find((x: { model: string }) => x.model === row.model);
          expect(close(t.micro.accuracy, row.accuracy)).toBe(true);
          expect(close(t.micro.stderr, row.stderr)).toBe(true);
          expect(t.micro.n).toBe(row.n_items);
        }
      }
    });

    it(`${engine}: pass@k and maj@k per model`, async () => {
      // popularity: one model, two runs (an .eval and a JSON log) of the same items: 2 answers per item
      const benchmark = 'popularity';
      const res = await analysis({ benchmark, levels: [], engine, pass_at: [1, 2], maj_at: [1] });
      expect(res.statusCode, res.body).toBe(200);
      const [row] = res.json().rows;
      const recs = fx.records.filter((r) => r.benchmark === benchmark);
      const byItem = new Map<string, CanonicalRecord[]>();
      for (const r of recs) byItem.set(r.item_id, [...(byItem.get(r.item_id) ?? []), r]);
      const scored = [...byItem.values()].map((rs) => rs.filter((r) => r.correct !== null));
      // pass@1 = mean over items of c/n; pass@2 over items with 2 answers = share with any correct
      const p1 = scored.filter((s) => s.length > 0).map((s) => s.filter((r) => r.correct).length / s.length);
      expect(close(row['pass@1'].value, p1.reduce((a, b) => a + b, 0) / p1.length)).toBe(true);
      const two = scored.filter((s) => s.length >= 2);
      expect(two.length).toBeGreaterThan(0);
      expect(row['pass@2'].n).toBe(two.length);
      expect(
        close(row['pass@2'].value, two.filter((s) => s.some((r) => r.correct)).length / two.length),
      ).toBe(true);
      expect(row['maj@1'].n).toBe(p1.length);
    });
  }

  it('Arrow: the rows without level columns', async () => {
    const res = await analysis(
      { benchmark: 'inspect_evals/arc_easy', levels: [] },
      { accept: 'application/vnd.apache.arrow.stream' },
    );
    expect(res.statusCode).toBe(200);
    const table = tableFromIPC(res.rawPayload);
    expect(table.numRows).toBe(2);
    const cols = table.schema.fields.map((f) => f.name);
    expect(cols[0]).toBe('model');
    expect(cols[1]).toBe('n');
    const json = (await analysis({ benchmark: 'inspect_evals/arc_easy', levels: [] })).json();
    const acc = table.getChild('accuracy')!.toArray();
    expect([...acc]).toEqual(json.rows.map((r: { accuracy: number }) => r.accuracy));
  });

  it('still refuses a request without levels, and the metadata options still need level1', async () => {
    expect((await analysis({ benchmark: 'popularity' })).statusCode).toBe(400);
    const opt = await fx.app.inject({
      method: 'POST',
      url: '/benchmarks/popularity/metadata/options',
      payload: {},
    });
    expect(opt.statusCode).toBe(400);
    const ok = await fx.app.inject({
      method: 'POST',
      url: `/benchmarks/${encodeURIComponent('negotiationtom_desire')}/metadata/options`,
      payload: { level1: 'agent' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().fields.map((f: { name: string }) => f.name)).toContain('mode');
  });
});
