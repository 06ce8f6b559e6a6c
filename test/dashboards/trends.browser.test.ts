import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrendsAnswer } from '../../charts/trends.ts';
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
 * TEST DATA, invented for this test (not real results): a benchmark with three model families whose runs
 * are dated by evaluated_at, so a trend exists (the bundled demo data has one run per model). Korean model
 * names, because the page must render them. Run k of a model gets the first `right(k)` of 20 items right.
 */
const BENCH = 'ui-trends-test';
const ITEMS = 20;
const FAMILY: { model: string; runs: { label: string; date: string; right: number }[] }[] = [
  {
    model: '테스트-모델-가',
    runs: [
      { label: 'r1', date: '2025-01-15', right: 8 },
      { label: 'r2', date: '2025-02-15', right: 11 },
      { label: 'r3', date: '2025-03-15', right: 14 },
    ],
  },
  {
    model: '테스트-모델-나',
    runs: [
      { label: 'r1', date: '2025-01-20', right: 5 },
      { label: 'r2', date: '2025-03-01', right: 9 },
    ],
  },
  { model: '테스트-단일', runs: [{ label: 'only', date: '2025-02-01', right: 12 }] },
];

function testData(): string {
  const lines: string[] = [];
  for (const f of FAMILY)
    for (const r of f.runs)
      for (let i = 0; i < ITEMS; i++)
        lines.push(
          JSON.stringify({
            benchmark: BENCH,
            model: f.model,
            run: r.label,
            item_id: `q${i}`,
            correct: i < r.right,
            evaluated_at: r.date,
            metadata: { topic: i % 2 ? '홀수' : '짝수' },
          }),
        );
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
  await importTestData(server.url, 'ui-trends-test.jsonl', testData());
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280) => newPage(browser, width);

const trendsOf = (prefix: string) =>
  api<TrendsAnswer>(server.url, `/trends?benchmark=${BENCH}&model_prefix=${encodeURIComponent(prefix)}`);

describe('trends', () => {
  it('one dot per run the API answers, a band per model with several runs, a rule for a single run', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, `#/trends?benchmark=${BENCH}&model_prefix=${encodeURIComponent('테스트')}`);
    const answer = await trendsOf('테스트');
    // the API's accuracies are the test data's (independent: right / items)
    const expected = FAMILY.flatMap((f) =>
      f.runs.map((r) => ({ model: f.model, label: r.label, acc: r.right / ITEMS })),
    );
    expect(answer.points).toHaveLength(expected.length);
    for (const e of expected) {
      const pt = answer.points.find((x) => x.model === e.model && x.label === e.label)!;
      expect(pt.accuracy).toBeCloseTo(e.acc, 12);
      expect(pt.date_source).toBe('evaluated_at');
    }
    const fig = p.locator('[data-chart="trends"]');
    expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(answer.points.length);
    const perModel = new Map<string, number>();
    for (const pt of answer.points) perModel.set(pt.model, (perModel.get(pt.model) ?? 0) + 1);
    const banded = [...perModel.values()].filter((n) => n > 1).length;
    expect(await fig.locator('g[aria-label="area"] path').count()).toBe(banded);
    expect(await fig.locator('g[aria-label="line"] path').count()).toBe(banded);
    expect(await fig.locator('g[aria-label="rule"] line').count()).toBe(perModel.size - banded);
    // the table: a row per point, oldest first, each accuracy in the exports' format; the Korean names render
    const rows = p.locator('table.trends tbody tr');
    expect(await rows.count()).toBe(answer.points.length);
    const text = await p.locator('table.trends').textContent();
    for (const pt of answer.points) {
      expect(text).toContain(pt.model);
      expect(text).toContain(`${(pt.accuracy! * 100).toFixed(1)}%`);
    }
    const firstDates = (await rows.locator('td:first-child').allInnerTexts()).map((d) => d.trim());
    expect(firstDates).toEqual(answer.points.map((pt) => pt.date.slice(0, 10)));
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'trends');
    await p.close();
  });

  it('the family goes to the URL; a reload shows the same; the csv export holds the rows shown', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, `#/trends?benchmark=${BENCH}`);
    // no family yet: the page says what to do, and suggests the families of the benchmark's models
    expect(await p.locator('.state.empty').textContent()).toMatch(/Type the start of a model name/);
    expect(await p.locator('.families a').allInnerTexts()).toContain('테스트-모델');
    await p.fill('#tr-prefix', '테스트-모델');
    await p.press('#tr-prefix', 'Enter');
    await p.waitForFunction(() => decodeURIComponent(location.hash).includes('model_prefix=테스트-모델'));
    await ready(p);
    const answer = await trendsOf('테스트-모델');
    const dots = () => p.locator('[data-chart="trends"] g[aria-label="dot"] circle').count();
    expect(await dots()).toBe(answer.points.length);
    await p.reload();
    await ready(p);
    expect(await p.locator('#tr-prefix').inputValue()).toBe('테스트-모델');
    expect(await p.locator('#tr-benchmark').inputValue()).toBe(BENCH);
    expect(await dots()).toBe(answer.points.length);
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('button[data-format="csv"]')]);
    expect(download.suggestedFilename()).toBe(`evalhouse-trends-${BENCH}-테스트-모델.csv`);
    const csv = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trim().split(/\r\n/);
    expect(lines[0]).toBe('run_id,model,label,date,date_source,n_items,accuracy,low,high,status,source');
    expect(lines).toHaveLength(1 + answer.points.length);
    for (const [i, pt] of answer.points.entries()) {
      const cells = lines[i + 1]!.split(',');
      expect(Number(cells[0])).toBe(pt.run_id);
      expect(cells[1]).toBe(pt.model);
      expect(Number(cells[6])).toBe(pt.accuracy);
    }
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('a family with one run, or none, is an empty state that says what to do; phone width fits', async () => {
    const { page: p, w } = await page(390);
    await open(p, server.url, `#/trends?benchmark=${BENCH}&model_prefix=${encodeURIComponent('테스트-단')}`);
    expect((await trendsOf('테스트-단')).points).toHaveLength(1);
    expect(await p.locator('.state.empty').textContent()).toMatch(
      /One run .* a trend needs two runs or more/,
    );
    expect(await p.locator('[data-chart="trends"]').count()).toBe(0);
    await open(p, server.url, `#/trends?benchmark=${BENCH}&model_prefix=zzz`);
    expect(await p.locator('.state.empty').textContent()).toMatch(
      /No model of ui-trends-test starts with "zzz"/,
    );
    // the demo data: a family whose models have one run each still draws every run, with its interval
    await open(p, server.url, '#/trends?benchmark=mmlu-pro&model_prefix=Meta-Llama');
    const demo = await api<TrendsAnswer>(server.url, '/trends?benchmark=mmlu-pro&model_prefix=Meta-Llama');
    expect(await p.locator('[data-chart="trends"] g[aria-label="dot"] circle').count()).toBe(
      demo.points.length,
    );
    // nothing wider than the phone: the chart and table scroll inside their boxes
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'trends-phone');
    await p.close();
  });
});
