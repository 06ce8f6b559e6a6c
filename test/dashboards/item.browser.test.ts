import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemRow } from '../../api/compare/items.ts';
import {
  type Allow,
  api,
  axe,
  type DemoServer,
  launch,
  newPage,
  open,
  ready,
  shot,
  startDemoServer,
} from './browser.ts';

// Real demo data: MATH (one Qwen2.5-Math model, 8 sampled solutions per problem) and MMLU-Redux (HELM answers).
interface ItemResults {
  item: { id: string; input: string | null; reference: string | null };
  results: { model: string; outcome: string; answer: string | null; response: string | null }[];
  total: number;
}
interface Analysis {
  total_items: number;
  matching_items: number;
  flagged: Record<string, number>;
  items: ItemRow[];
}

let server: DemoServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280, allow?: Allow) => newPage(browser, width, allow);

const results = (b: string, item: string) =>
  api<ItemResults>(server.url, `/benchmarks/${b}/items/${encodeURIComponent(item)}/results?limit=1000`);
const analysis = (b: string, q: string) => api<Analysis>(server.url, `/benchmarks/${b}/items/analysis?${q}`);

describe('item view', () => {
  it("shows the question, the reference and every sample's answer and outcome, long responses collapsed", async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/item?benchmark=math&item=0');
    const firstMs = await p.evaluate(() => document.documentElement.dataset.firstReadyMs);
    console.log(`item: first view with data ${firstMs} ms after navigation start`);
    const a = await results('math', '0');
    expect(a.total).toBe(8);
    expect(await p.locator('#item-input').textContent()).toBe(a.item.input);
    expect(await p.locator('main').textContent()).toContain(`Reference: ${a.item.reference}`);
    const rows = await p
      .locator('table.item-results tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
    expect(rows.length).toBe(a.total);
    rows.forEach((r, k) => {
      expect(r[0]).toBe(a.results[k]!.model);
      expect(r[3]).toBe(a.results[k]!.outcome);
      expect(r[4]).toBe(a.results[k]!.answer ?? 'none');
    });
    const long = a.results.filter(
      (r) => r.response && (r.response.length > 160 || r.response.includes('\n')),
    );
    expect(long.length).toBeGreaterThan(0);
    expect(await p.locator('table.item-results details.response').count()).toBe(long.length);
    // collapsed until opened: the whole response is then shown
    const first = p.locator('table.item-results details.response').first();
    expect(await first.locator('pre').isVisible()).toBe(false);
    await first.locator('summary').click();
    expect(await first.locator('pre').textContent()).toBe(long[0]!.response);
    const correct = a.results.filter((r) => r.outcome === 'correct').length;
    expect(await p.locator('#item-summary').textContent()).toContain(
      `${correct} of ${a.total} results correct`,
    );
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'item-math');
    await p.close();
  });

  it('lists all-wrong, disagreeing and suspect items as the item analysis gives them; each opens its item', async () => {
    const { page: p, w } = await page();
    const item = 'abstract_algebra/0';
    await open(p, server.url, `#/item?benchmark=mmlu-redux&item=${encodeURIComponent(item)}`);
    const a = await results('mmlu-redux', item);
    expect(await p.locator('table.item-results tbody tr').count()).toBe(a.total);
    const wrong = await analysis('mmlu-redux', 'flag=all_fail&sort=item&limit=15');
    const split = await analysis('mmlu-redux', 'sort=split&limit=15');
    const inverted = await analysis('mmlu-redux', 'flag=inverted&sort=discrimination&limit=15');
    const links = (id: string) => p.locator(`#${id}-list a`).allTextContents();
    expect(await links('wrong')).toEqual(wrong.items.map((i) => i.item));
    expect(await p.locator('#wrong-h').textContent()).toBe(`All models wrong (${wrong.matching_items})`);
    // independent: the items neither all right nor all wrong, closest to half right first
    const disagree = split.total_items - split.flagged.all_pass! - split.flagged.all_fail!;
    expect(await p.locator('#disagree-h').textContent()).toBe(
      `Models disagree (${disagree.toLocaleString('en')})`,
    );
    const shown = await links('disagree');
    expect(shown).toEqual(split.items.map((i) => i.item));
    for (const i of split.items) expect(Math.abs(i.difficulty! - 0.5)).toBeLessThanOrEqual(0.05);
    expect(await links('suspect')).toEqual(inverted.items.map((i) => i.item));
    for (const i of inverted.items) expect(i.discrimination!).toBeLessThan(-0.2);
    // a suspect item opens with every model's result
    const target = inverted.items[0]!.item;
    await p.locator('#suspect-list a').first().click();
    await p.waitForFunction((t) => location.hash.includes(encodeURIComponent(t)), target);
    await ready(p);
    expect(await p.locator('h1').textContent()).toBe(`Item ${target}`);
    expect(await p.locator('table.item-results tbody tr').count()).toBe(
      (await results('mmlu-redux', target)).total,
    );
    // the next page of a list: the API's next page
    await p.click('#wrong-next');
    await p.waitForFunction(() => location.hash.includes('wo=15'));
    await ready(p);
    const next = await analysis('mmlu-redux', 'flag=all_fail&sort=item&limit=15&offset=15');
    expect(await links('wrong')).toEqual(next.items.map((i) => i.item));
    // reload keeps item and page
    await p.reload();
    await ready(p);
    expect(await p.locator('h1').textContent()).toBe(`Item ${target}`);
    expect(await links('wrong')).toEqual(next.items.map((i) => i.item));
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'item');
    await p.close();
  });

  it("an unknown item shows the API's message as it is; phone width works", async () => {
    const { page: p, w } = await page(390, (status, url) => status === 404 && url.includes('/items/nope'));
    await open(p, server.url, '#/item?benchmark=mmlu-redux&item=nope');
    const res = await fetch(`${server.url}/benchmarks/mmlu-redux/items/nope/results`);
    expect(res.status).toBe(404);
    const { message } = (await res.json()) as { message: string };
    expect(await p.locator('[role="alert"] p').textContent()).toBe(message);
    expect(await p.locator('#wrong-list a').count()).toBeGreaterThan(0);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // the expected 404 (Chromium also logs it on the console), and nothing else
    expect(w.problems.filter((m) => !m.includes('404'))).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await p.close();
  });
});
