import { describe, expect, it } from 'vitest';
import { mmluReduxApp, readHelmVerdicts } from '../helpers/mmlu-redux.ts';

// Expected sets come from the published CSV read here (the HELM verdicts), never from the API's SQL.
const SONNET = 'anthropic_claude-3-5-sonnet-20240620';
const GPT4O = 'openai_gpt-4o-2024-05-13';

const subjectOf = (item: string) => item.slice(0, item.lastIndexOf('/'));

interface Answer {
  paired: number;
  a_better: number;
  b_better: number;
  total: number;
  next_offset: number | null;
  items: { item: string; a: number; b: number; metadata: Record<string, unknown> }[];
}

describe("POST /compare/items and the items analysis' split order on MMLU-Redux (real HELM answers)", () => {
  const csv = readHelmVerdicts();
  const redux = mmluReduxApp();
  const post = (payload: unknown) =>
    redux.app.inject({ method: 'POST', url: '/compare/items', payload: payload as object });

  /** Items A right / B wrong (side a) and the reverse, from the CSV; `wrong`: unscored counts as 0. */
  function expected(a: string, b: string, opts: { wrong?: boolean; subject?: string } = {}) {
    const A = csv.get(a)!;
    const B = csv.get(b)!;
    const value = (v: 0 | 1 | null | undefined) => (v === null && opts.wrong ? 0 : v);
    const out = { paired: 0, a: new Set<string>(), b: new Set<string>() };
    for (const [item, va] of A) {
      if (opts.subject && subjectOf(item) !== opts.subject) continue;
      const x = value(va);
      const y = value(B.get(item));
      if (x === null || x === undefined || y === null || y === undefined) continue;
      out.paired++;
      if (x > y) out.a.add(item);
      if (y > x) out.b.add(item);
    }
    return out;
  }

  /** Every page of one side, following next_offset. */
  async function allPages(body: Record<string, unknown>, limit: number) {
    const items: Answer['items'] = [];
    let offset: number | null = 0;
    let first: Answer | null = null;
    while (offset !== null) {
      const res = await post({ ...body, limit, offset });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as Answer;
      first ??= page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      offset = page.next_offset;
    }
    return { first: first!, items };
  }

  it('lists exactly the items one model gets right and the other wrong, each side over its pages', async () => {
    const want = expected(SONNET, GPT4O);
    expect(want.a.size).toBeGreaterThan(100);
    for (const side of ['a', 'b'] as const) {
      const { first, items } = await allPages(
        { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], side },
        150,
      );
      expect(first.paired).toBe(want.paired);
      expect(first.a_better).toBe(want.a.size);
      expect(first.b_better).toBe(want.b.size);
      expect(first.total).toBe(want[side].size);
      const names = items.map((i) => i.item);
      expect(new Set(names).size).toBe(names.length); // pages do not overlap
      expect(new Set(names)).toEqual(want[side]);
      for (const i of items) {
        expect(side === 'a' ? [i.a, i.b] : [i.b, i.a]).toEqual([1, 0]);
        expect(i.metadata.subject).toBe(subjectOf(i.item));
      }
    }
  });

  it("agrees with /compare's discordant pairs, and swapping A and B swaps the sides", async () => {
    const cmp = await redux.app.inject({
      method: 'POST',
      url: '/compare',
      payload: { benchmark: 'mmlu-redux', models: [SONNET, GPT4O] },
    });
    const overall = cmp.json().rows[0];
    const res = (
      await post({ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], side: 'a' })
    ).json() as Answer;
    expect([res.a_better, res.b_better]).toEqual([overall.discordant.a_only, overall.discordant.b_only]);
    const swapped = (
      await post({ benchmark: 'mmlu-redux', models: [GPT4O, SONNET], side: 'b', limit: 1000 })
    ).json() as Answer;
    expect([swapped.a_better, swapped.b_better]).toEqual([res.b_better, res.a_better]);
    expect(new Set(swapped.items.map((i) => i.item))).toEqual(expected(SONNET, GPT4O).a);
  });

  it('applies filters and the unscored rule as /compare does', async () => {
    const filtered = (
      await post({
        benchmark: 'mmlu-redux',
        models: [SONNET, GPT4O],
        side: 'b',
        filters: { subject: ['virology'] },
        limit: 1000,
      })
    ).json() as Answer;
    const want = expected(SONNET, GPT4O, { subject: 'virology' });
    expect(filtered.paired).toBe(want.paired);
    expect(new Set(filtered.items.map((i) => i.item))).toEqual(want.b);
    // a pair with unscored answers: counted wrong, they become separating items
    const [x, y] = [...csv.keys()].filter((m) => [...csv.get(m)!.values()].includes(null));
    const wrong = expected(x!, y!, { wrong: true });
    const exclude = expected(x!, y!);
    expect(wrong.paired).toBeGreaterThan(exclude.paired);
    for (const [unscored, w] of [
      ['wrong', wrong],
      ['exclude', exclude],
    ] as const) {
      const r = (
        await post({ benchmark: 'mmlu-redux', models: [x, y], side: 'a', unscored })
      ).json() as Answer;
      expect([r.paired, r.a_better, r.b_better]).toEqual([w.paired, w.a.size, w.b.size]);
    }
  });

  it('rejects bad requests with a 4xx that says what is allowed; hostile values are bound', async () => {
    const base = { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], side: 'a' };
    expect((await post({ ...base, models: [SONNET, SONNET] })).statusCode).toBe(400);
    expect((await post({ ...base, models: [SONNET] })).statusCode).toBe(400);
    expect((await post({ ...base, side: 'both' })).statusCode).toBe(400);
    expect((await post({ ...base, limit: 5000 })).statusCode).toBe(400);
    expect((await post({ ...base, sql: 'x' })).statusCode).toBe(400);
    const unknown = await post({ ...base, models: [SONNET, 'nobody'] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain(GPT4O); // lists the valid names
    const field = await post({ ...base, filters: { 'subject; DROP TABLE items': ['x'] } });
    expect(field.statusCode).toBe(400);
    const hostile = await post({ ...base, filters: { subject: ["x' OR '1'='1"] } });
    expect(hostile.statusCode).toBe(200);
    expect((hostile.json() as Answer).paired).toBe(0);
    const intact = (await post(base)).json() as Answer;
    expect(intact.paired).toBe(expected(SONNET, GPT4O).paired);
  });

  it('items analysis sort=split puts the items the models disagree on most first, unanimous ones last, every item once', async () => {
    const get = async (q: string) =>
      (await redux.app.inject({ method: 'GET', url: `/benchmarks/mmlu-redux/items/analysis?${q}` })).json();
    const all = await get('sort=item&limit=5000');
    const split = [
      ...(await get('sort=split&limit=5000')).items,
      ...(await get('sort=split&limit=5000&offset=5000')).items,
    ] as { item: string; difficulty: number }[];
    expect(split.length).toBe(all.total_items);
    expect(new Set(split.map((i) => i.item)).size).toBe(all.total_items);
    const gap = split.map((i) => Math.abs(i.difficulty - 0.5));
    for (let i = 1; i < gap.length; i++) expect(gap[i]).toBeGreaterThanOrEqual(gap[i - 1]!);
    // unanimous items (all right or all wrong) come after every split one
    const unanimous = split.findIndex((i) => i.difficulty === 0 || i.difficulty === 1);
    expect(unanimous).toBeGreaterThan(0);
    expect(split.slice(unanimous).every((i) => i.difficulty === 0 || i.difficulty === 1)).toBe(true);
  });
});
