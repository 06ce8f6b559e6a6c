import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemRow } from '../../api/compare/items.ts';
import { api, axe, type DemoServer, launch, newPage, open, ready, shot, startDemoServer } from './browser.ts';

// Real demo data: MMLU-Redux (HELM answers, the annotators' error_type). Expected values are the API's answer,
// ordered and counted here.
interface Answer {
  total_items: number;
  flagged: Record<string, number>;
  by: { field: string; groups: { value: unknown; items: number; suspect: number }[] } | null;
  items: ItemRow[];
}

let server: DemoServer;
let browser: Browser;
let all: ItemRow[];
let first: Answer;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
  // the same pages the view asks for (the API gives at most 5000 items a page)
  const path = '/benchmarks/mmlu-redux/items/analysis?sort=discrimination&limit=5000&by=error_type';
  first = await api<Answer>(server.url, `${path}&offset=0`);
  const second = await api<Answer>(server.url, `${path}&offset=5000`);
  all = [...first.items, ...second.items];
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280) => newPage(browser, width);

const drawn = (items: ItemRow[]) => items.filter((i) => i.difficulty !== null && i.discrimination !== null);
/** Independent order: all models wrong, then inverted, then the rest, each in the API's order. */
function suspectsFirst(items: ItemRow[]): ItemRow[] {
  const part = (i: ItemRow) => (i.flags.includes('all_fail') ? 0 : i.flags.includes('inverted') ? 1 : 2);
  return [0, 1, 2].flatMap((k) => items.filter((i) => part(i) === k));
}
const SCATTER = '[data-chart="items-scatter"] g[aria-label="dot"] circle';

describe('item analysis view', () => {
  it('draws one dot per item with a discrimination, coloured by error_type, suspects first in the table', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/items?benchmark=mmlu-redux');
    const firstMs = await p.evaluate(() => document.documentElement.dataset.firstReadyMs);
    console.log(`item analysis: first view with data ${firstMs} ms after navigation start`);
    expect(all.length).toBe(first.total_items);
    const dots = drawn(all);
    expect(await p.locator(SCATTER).count()).toBe(dots.length);
    // colour: the most common error_type (ok) grey, every other value a colour of its own, as many dots each
    const fills = await p.locator(SCATTER).evaluateAll((cs) => cs.map((c) => c.getAttribute('fill') ?? ''));
    const byFill = new Map<string, number>();
    for (const f of fills) byFill.set(f, (byFill.get(f) ?? 0) + 1);
    const byType = new Map<string, number>();
    for (const i of dots) {
      const t = String(i.metadata.error_type);
      byType.set(t, (byType.get(t) ?? 0) + 1);
    }
    expect([...byFill.values()].sort((a, b) => a - b)).toEqual([...byType.values()].sort((a, b) => a - b));
    expect(byFill.get('#c4c4c4')).toBe(byType.get('ok'));
    // the table: suspects first, each row's error_type beside it, flags named
    const expected = suspectsFirst(all);
    const rows = await p
      .locator('table.items-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
    expect(rows.length).toBe(50);
    rows.forEach((r, k) => {
      expect(r[0]).toBe(expected[k]!.item);
      expect(r[1]).toContain('all models wrong');
      expect(r[2]).toBe(String(expected[k]!.metadata.error_type));
    });
    // suspects per annotation, as the API's `by` gives them
    const by = await p.locator('table.items-by tbody tr').allTextContents();
    expect(by.length).toBe(first.by!.groups.length);
    expect(by[0]).toContain(String(first.by!.groups[0]!.value));
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'items');
    await p.close();
  });

  it('pages the table across the end of the suspects; the URL round-trips colour and page', async () => {
    const { page: p, w } = await page();
    const suspects = all.filter((i) => i.flags.includes('all_fail') || i.flags.includes('inverted')).length;
    expect(suspects).toBe(first.flagged.all_fail! + first.flagged.inverted!);
    const off = Math.floor(suspects / 50) * 50;
    await open(p, server.url, `#/items?benchmark=mmlu-redux&off=${off}`);
    const expected = suspectsFirst(all).slice(off, off + 50);
    const names = await p.locator('table.items-table tbody tr td:first-child').allTextContents();
    expect(names).toEqual(expected.map((i) => i.item));
    const flags = await p.locator('table.items-table tbody tr td:nth-child(2)').allTextContents();
    const boundary = suspects - off;
    expect(
      flags.slice(0, boundary).every((f) => f.includes('inverted') || f.includes('all models wrong')),
    ).toBe(true);
    expect(flags.slice(boundary).some((f) => f.includes('inverted') || f.includes('wrong'))).toBe(false);
    // colour by category instead, reload: same choice, same dots, and the category column
    await p.selectOption('#it-color', 'category');
    await p.waitForFunction(() => location.hash.includes('color=category'));
    await ready(p);
    await p.reload();
    await ready(p);
    expect(await p.locator('#it-color').inputValue()).toBe('category');
    expect(p.url()).toContain(`off=${off}`);
    expect(await p.locator(SCATTER).count()).toBe(drawn(all).length);
    const fills = await p
      .locator(SCATTER)
      .evaluateAll((cs) => new Set(cs.map((c) => c.getAttribute('fill'))).size);
    expect(fills).toBe(new Set(drawn(all).map((i) => i.metadata.category)).size);
    expect(await p.locator('table.items-table thead th').allTextContents()).toContain('category');
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('an xlsx export arrives; at phone width nothing overflows the page', async () => {
    const { page: p, w } = await page(390);
    await open(p, server.url, '#/items?benchmark=mmlu-redux');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout: 120_000 }),
      p.click('button.export[data-format="xlsx"]'),
    ]);
    expect(download.suggestedFilename()).toMatch(/^mmlu-redux.*\.xlsx$/);
    const bytes = readFileSync((await download.path())!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const sent = w.requests.filter((r) => r.path === '/exports').map((r) => JSON.parse(r.body!));
    expect(sent[0]).toEqual({
      kind: 'items',
      format: 'xlsx',
      query: { benchmark: 'mmlu-redux', sort: 'discrimination', limit: 5000, by: 'error_type' },
    });
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'items-phone');
    await p.close();
  }, 180_000);
});
