import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MMLU_CATEGORY } from '../../ingest/benchmarks/mmlu-categories.ts';
import { mmluReduxApp, readHelmVerdicts } from '../helpers/mmlu-redux.ts';
import { SHARED_DATA } from '../helpers/tmp.ts';

// Expected values come from the published CSV and textbook formulas written here, not from core/stats.
const errorType = new Map<string, string>();
for (const line of readFileSync(`${SHARED_DATA}mmlu_redux/items.jsonl`, 'utf8').trim().split('\n')) {
  const j = JSON.parse(line);
  errorType.set(j.item_id, j.error_type);
}
function pearson(x: number[], y: number[]) {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

interface Item {
  item: string;
  n_models: number;
  difficulty: number | null;
  discrimination: number | null;
  rasch_difficulty: number | null;
  flags: string[];
  metadata: Record<string, unknown>;
}

describe('items analysis and trends on MMLU-Redux', () => {
  const csv = readHelmVerdicts();
  const models14 = [...csv.keys()].sort();
  const redux = mmluReduxApp();
  const get = (url: string) => redux.app.inject({ method: 'GET', url });
  const base = `/benchmarks/mmlu-redux/items/analysis?models=${encodeURIComponent(models14.join(','))}`;

  async function allItems(extra = ''): Promise<{ body: Record<string, unknown>; items: Item[] }> {
    const first = await get(`${base}&sort=item&limit=5000${extra}`);
    expect(first.statusCode, first.body).toBe(200);
    const body = first.json();
    const rest = await get(`${base}&sort=item&limit=5000&offset=5000${extra}`);
    return { body, items: [...body.items, ...rest.json().items] };
  }

  it('difficulty, corrected point-biserial, flags and metadata per item match the CSV', async () => {
    const { body, items } = await allItems();
    expect(body.total_items).toBe(5700);
    expect(items).toHaveLength(5700);
    // each model's totals over scored items, for "accuracy on the other items"
    const tot = new Map(
      models14.map((m) => {
        let s = 0;
        let n = 0;
        for (const v of csv.get(m)!.values())
          if (v !== null) {
            s += v;
            n++;
          }
        return [m, { s, n }];
      }),
    );
    let allFail = 0;
    let allPass = 0;
    let inverted = 0;
    for (const it of items) {
      const x: number[] = [];
      const ability: number[] = [];
      for (const m of models14) {
        const v = csv.get(m)!.get(it.item)!;
        if (v === null) continue;
        x.push(v);
        const t = tot.get(m)!;
        ability.push((t.s - v) / (t.n - 1));
      }
      const right = x.filter((v) => v === 1).length;
      expect(it.n_models).toBe(x.length);
      expect(it.difficulty).toBeCloseTo(right / x.length, 14);
      const varies = (a: number[]) => a.some((v) => v !== a[0]);
      const r = varies(x) && varies(ability) ? pearson(x, ability) : null;
      if (r === null) expect(it.discrimination).toBeNull();
      else expect(it.discrimination).toBeCloseTo(r, 10);
      const flags = [
        ...(right === 0 ? ['all_fail'] : []),
        ...(right === x.length ? ['all_pass'] : []),
        ...(r !== null && r < -0.2 ? ['inverted'] : []),
      ];
      expect(it.flags).toEqual(flags);
      allFail += right === 0 ? 1 : 0;
      allPass += right === x.length ? 1 : 0;
      inverted += r !== null && r < -0.2 ? 1 : 0;
      const subject = it.item.split('/')[0]!;
      expect(it.metadata).toEqual({
        subject,
        category: MMLU_CATEGORY[subject],
        error_type: errorType.get(it.item),
      });
    }
    expect(body.flagged).toEqual({ all_fail: allFail, all_pass: allPass, inverted });
  }, 60_000);

  it('Rasch: the JML likelihood equations hold and SEs are 1/√Σp(1−p)', async () => {
    const { body, items } = await allItems();
    const models = body.models as { model: string; ability: number | null; ability_se: number | null }[];
    expect(models.map((m) => m.model)).toEqual(models14);
    const kept = items.filter((i) => i.rasch_difficulty !== null);
    expect(kept.length).toBeGreaterThan(1000); // 2,016: the other items every one of the 14 models passes (or fails)
    const bsum = kept.reduce((s, i) => s + i.rasch_difficulty!, 0);
    expect(Math.abs(bsum)).toBeLessThan(1e-6);
    for (const m of models) {
      let observed = 0;
      let expected = 0;
      let info = 0;
      for (const it of kept) {
        const v = csv.get(m.model)!.get(it.item)!;
        if (v === null) continue;
        const p = 1 / (1 + Math.exp(-(m.ability! - it.rasch_difficulty!)));
        observed += v;
        expected += p;
        info += p * (1 - p);
      }
      expect(Math.abs(observed - expected)).toBeLessThan(1e-4);
      expect(m.ability_se).toBeCloseTo(1 / Math.sqrt(info), 6);
    }
    // stronger models get higher abilities: order by accuracy equals order by ability
    const acc = (m: string) => {
      const vs = [...csv.get(m)!.values()].filter((v) => v !== null) as number[];
      return vs.reduce((s, v) => s + v, 0) / vs.length;
    };
    const byAbility = [...models].sort((a, b) => a.ability! - b.ability!).map((m) => m.model);
    const byAccuracy = [...models14].sort((a, b) => acc(a) - acc(b));
    expect(byAbility[0]).toBe(byAccuracy[0]);
    expect(byAbility.at(-1)).toBe(byAccuracy.at(-1));
  }, 60_000);

  it('by=error_type summarises the flags per annotation; sorting, flag filter and paging', async () => {
    const { items } = await allItems();
    const res = await get(`${base}&by=error_type&flag=inverted&limit=5`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const expected = new Map<string, { items: number; suspect: number; inverted: number }>();
    for (const it of items) {
      const e = expected.get(it.metadata.error_type as string) ?? { items: 0, suspect: 0, inverted: 0 };
      e.items++;
      if (it.flags.includes('all_fail') || it.flags.includes('inverted')) e.suspect++;
      if (it.flags.includes('inverted')) e.inverted++;
      expected.set(it.metadata.error_type as string, e);
    }
    expect(body.by.field).toBe('error_type');
    for (const g of body.by.groups) expect(g).toMatchObject(expected.get(g.value)!);
    const inv = items.filter((i) => i.flags.includes('inverted'));
    expect(body.matching_items).toBe(inv.length);
    expect(body.items).toHaveLength(Math.min(5, inv.length));
    const lowest = inv
      .map((i) => i.discrimination!)
      .sort((a, b) => a - b)
      .slice(0, 5);
    expect(body.items.map((i: Item) => i.discrimination)).toEqual(lowest);
  }, 60_000);

  it('items: 400 for bad input, 404 for unknown names', async () => {
    const bad = await get('/benchmarks/mmlu-redux/items/analysis?by=subjekt');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/valid fields: .*subject/);
    expect((await get('/benchmarks/mmlu-redux/items/analysis?limit=0')).statusCode).toBe(400);
    expect((await get('/benchmarks/mmlu-redux/items/analysis?nope=1')).statusCode).toBe(400);
    expect((await get('/benchmarks/nope/items/analysis')).statusCode).toBe(404);
    const m = await get('/benchmarks/mmlu-redux/items/analysis?models=gpt-9');
    expect(m.statusCode).toBe(404);
    expect(m.json().message).toMatch(/unknown model "gpt-9"/);
  });

  it('trends: accuracy per run with the stderr of item means, oldest first', async () => {
    const res = await get('/trends?benchmark=mmlu-redux&model_prefix=anthropic_');
    expect(res.statusCode, res.body).toBe(200);
    const points = res.json().points as Record<string, unknown>[];
    const anth = [...new Set([...csv.keys()].filter((m) => m.startsWith('anthropic_')))];
    expect(points.map((p) => p.model).sort()).toEqual(expect.arrayContaining(anth));
    for (const p of points) {
      expect(p.label).toBe('helm-5shot');
      const c = csv.get(p.model as string);
      if (!c) continue; // a v1-only model (not in results.csv)
      const vs = [...c.values()].filter((v) => v !== null) as number[];
      const n = vs.length;
      const acc = vs.reduce((s, v) => s + v, 0) / n;
      expect(p.n_items).toBe(n);
      expect(p.accuracy).toBeCloseTo(acc, 12);
      expect(p.stderr).toBeCloseTo(Math.sqrt((acc * (1 - acc)) / (n - 1)), 12);
    }
    const created = points.map((p) => p.created_at as string);
    expect([...created].sort()).toEqual(created);
    const two = (
      await get('/trends?benchmark=mmlu-redux&models=openai_gpt-4o-2024-05-13,writer_palmyra-x-004')
    ).json();
    expect(two.points.map((p: { model: string }) => p.model).sort()).toEqual([
      'openai_gpt-4o-2024-05-13',
      'writer_palmyra-x-004',
    ]);
    expect((await get('/trends?benchmark=mmlu-redux&model_prefix=zzz')).statusCode).toBe(404);
    expect((await get('/trends?benchmark=mmlu-redux&models=gpt-9')).statusCode).toBe(404);
    expect((await get('/trends?benchmark=nope')).statusCode).toBe(404);
    expect((await get('/trends')).statusCode).toBe(400);
  });
});
