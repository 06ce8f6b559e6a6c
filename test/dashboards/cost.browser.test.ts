import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../../api/analysis/service.ts';
import {
  api,
  axe,
  type DemoServer,
  importTestData,
  launch,
  newPage,
  open,
  ready,
  shot,
  startDemoServer,
} from './browser.ts';

let server: DemoServer;
let browser: Browser;

/**
 * TEST DATA, invented for this test (not measurements of any model): benchmark `cost-test`, 30 items, five
 * models with a made-up accuracy, cost per answer and latency each. `e-no-cost` records latency but no cost, so
 * it is a dot of the latency chart only. Each record's cost and latency vary around the model's level so that the
 * sums and medians are not trivial.
 */
const ITEMS = 30;
const MODELS = [
  { model: 'a-cheap', right: 15, cost: 0.001, latency: 200 },
  { model: 'b-mid', right: 21, cost: 0.004, latency: 900 },
  { model: 'c-dominated', right: 18, cost: 0.006, latency: 500 },
  { model: 'd-big', right: 27, cost: 0.02, latency: 2500 },
  { model: 'e-no-cost', right: 24, cost: null, latency: 3000 },
];
interface Rec {
  model: string;
  item: number;
  correct: boolean;
  cost: number | null;
  latency: number;
}
const records: Rec[] = MODELS.flatMap((m) =>
  Array.from({ length: ITEMS }, (_, i) => ({
    model: m.model,
    item: i,
    correct: i < m.right,
    cost: m.cost === null ? null : m.cost * (1 + ((i % 5) - 2) / 10),
    latency: m.latency + ((i * 37) % 11) * 10,
  })),
);
const jsonl = `${records
  .map((r) =>
    JSON.stringify({
      benchmark: 'cost-test',
      model: r.model,
      run: 'test',
      item_id: `c${r.item}`,
      correct: r.correct,
      latency_ms: r.latency,
      ...(r.cost === null ? {} : { cost_usd: r.cost }),
      metadata: { part: r.item < 15 ? 'first' : 'second' },
    }),
  )
  .join('\n')}\n`;

/** Independent figures per model: accuracy, summed cost / items, nearest-rank median latency. */
function figures() {
  return MODELS.map(({ model }) => {
    const mine = records.filter((r) => r.model === model);
    const lat = mine.map((r) => r.latency).sort((x, y) => x - y);
    const costs = mine.map((r) => r.cost).filter((c): c is number => c !== null);
    return {
      model,
      accuracy: mine.filter((r) => r.correct).length / mine.length,
      cost: costs.length ? costs.reduce((s, c) => s + c, 0) / mine.length : null,
      latency: lat[Math.ceil(0.5 * lat.length) - 1]!,
    };
  });
}

/** The models no other model dominates (at most the x, at least the accuracy, strictly better on one). */
function front(points: { model: string; accuracy: number; x: number | null }[]): string[] {
  const have = points.filter((p) => p.x !== null) as { model: string; accuracy: number; x: number }[];
  return have
    .filter(
      (p) =>
        !have.some(
          (q) => q !== p && q.x <= p.x && q.accuracy >= p.accuracy && (q.x < p.x || q.accuracy > p.accuracy),
        ),
    )
    .map((p) => p.model)
    .sort();
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
  await importTestData(server.url, 'cost-test.jsonl', jsonl);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280) => newPage(browser, width);

const QUERY = {
  benchmark: 'cost-test',
  levels: [],
  unscored: 'exclude',
  measures: ['n', 'n_items', 'accuracy', 'ci95', 'latency_ms_p50', 'cost_usd'],
};

describe('cost and latency', () => {
  it('a dot per model with the field, and the Pareto front is the non-dominated models', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/cost?benchmark=cost-test');
    const sent = w.requests.filter((r) => r.path === '/analysis').map((r) => JSON.parse(r.body!));
    expect(sent).toEqual([QUERY]);
    const answer = await api<AnalysisResponse>(server.url, '/analysis', QUERY);
    const mine = figures();
    // the API agrees with the figures computed here (so the chart's inputs are what the data says)
    for (const f of mine) {
      const row = answer.rows.find((r) => r.model === f.model)!;
      expect(row.accuracy).toBeCloseTo(f.accuracy, 12);
      expect(row.latency_ms_p50).toBeCloseTo(f.latency, 6);
      if (f.cost === null) expect(row.cost_usd).toBeNull();
      else expect((row.cost_usd as number) / row.n_items!).toBeCloseTo(f.cost, 12);
    }
    for (const [axis, field] of [
      ['cost', 'cost_usd'],
      ['latency', 'latency_ms_p50'],
    ] as const) {
      const fig = p.locator(`[data-chart="cost-${axis}"]`);
      const dotGroups = fig.locator('g[aria-label="dot"]');
      // first dot mark: every model with the field; second: the front's rings
      const withField = answer.rows.filter((r) => typeof r[field] === 'number').length;
      expect(withField).toBe(axis === 'cost' ? 4 : 5);
      expect(await dotGroups.nth(0).locator('circle').count()).toBe(withField);
      const expectedFront = front(mine.map((f) => ({ model: f.model, accuracy: f.accuracy, x: f[axis] })));
      expect(await dotGroups.nth(1).locator('circle').count()).toBe(expectedFront.length);
      const named = (await fig.locator('g[aria-label="text"] text').allTextContents()).sort();
      expect(named).toEqual(expectedFront);
      // the table marks the same models
      const rows = await p.locator('.cost-results table tbody tr').all();
      const marked: string[] = [];
      for (const r of rows) {
        const cells = await r.locator('td').allTextContents();
        if (cells[axis === 'cost' ? 6 : 7] === 'yes') marked.push(cells[0]!);
      }
      expect(marked.sort()).toEqual(expectedFront);
    }
    // what this data makes of it: c-dominated is beaten on cost by b-mid but on latency by nobody; e-no-cost
    // is slower and less accurate than d-big
    expect(front(mine.map((f) => ({ ...f, x: f.cost })))).toEqual(['a-cheap', 'b-mid', 'd-big']);
    expect(front(mine.map((f) => ({ ...f, x: f.latency })))).toEqual([
      'a-cheap',
      'b-mid',
      'c-dominated',
      'd-big',
    ]);
    expect(await p.locator('.cost-results table tbody tr').count()).toBe(answer.rows.length);
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'cost');
    // reload: the same state and the same marks from the URL alone
    await p.reload();
    await ready(p);
    expect(await p.locator('#cost-benchmark').inputValue()).toBe('cost-test');
    expect(
      await p.locator('[data-chart="cost-cost"] g[aria-label="dot"]').nth(0).locator('circle').count(),
    ).toBe(4);
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('the csv export holds the rows of the query the page sent', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/cost?benchmark=cost-test&unscored=wrong');
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout: 60_000 }),
      p.locator('.cost-results button[data-format="csv"]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^cost-test.*\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const lines = text.split(/\r?\n/).filter((l) => l && !l.startsWith('"#') && !l.startsWith('#'));
    expect(lines[0]).toMatch(/^model,/);
    for (const m of MODELS) expect(text).toContain(m.model);
    const sent = w.requests.filter((r) => r.path === '/exports').map((r) => JSON.parse(r.body!));
    expect(sent).toEqual([{ kind: 'analysis', format: 'csv', query: { ...QUERY, unscored: 'wrong' } }]);
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('a benchmark without cost or latency says which fields are missing and how to get them', async () => {
    const { page: p, w } = await page(390);
    const answer = await api<AnalysisResponse>(server.url, '/analysis', { ...QUERY, benchmark: 'math' });
    expect(answer.rows.every((r) => r.cost_usd === null && r.latency_ms_p50 === null)).toBe(true);
    await open(p, server.url, '#/cost?benchmark=math');
    const msg = await p.locator('.cost-results .state.empty').innerText();
    expect(msg).toContain('cost_usd');
    expect(msg).toContain('latency_ms');
    expect(msg).toContain('evalhouse run');
    expect(await p.locator('.cost-results figure').count()).toBe(0);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'cost-empty-phone');
    await p.close();
  });
});
