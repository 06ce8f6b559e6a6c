import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../../api/analysis/service.ts';
import type { BenchmarkListResponse } from '../../api/routes/benchmarks.ts';
import { api, axe, type DemoServer, launch, newPage, open, shot, startDemoServer, watch } from './browser.ts';

let server: DemoServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280) => newPage(browser, width);

describe('leaderboard (the home page)', () => {
  it('GET / is the UI: every benchmark with one dot and one interval per model the API ranks', async () => {
    const { page: p, w } = await page();
    const t0 = Date.now();
    await open(p, server.url, '');
    const firstMs = await p.evaluate(() => document.documentElement.dataset.firstReadyMs);
    console.log(
      `leaderboard: first view with data ${firstMs} ms after navigation start (${Date.now() - t0} ms wall)`,
    );
    const { benchmarks } = await api<BenchmarkListResponse>(server.url, '/benchmarks');
    expect(benchmarks.length).toBeGreaterThanOrEqual(3);
    for (const b of benchmarks) {
      const answer = await api<AnalysisResponse>(server.url, '/analysis', {
        benchmark: b.benchmark,
        levels: [],
        unscored: 'exclude',
      });
      const fig = p.locator(`[data-chart="leaderboard-${b.benchmark}"]`);
      const scored = answer.rows.filter((r) => typeof r.accuracy === 'number');
      expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(scored.length);
      expect(await fig.locator('g[aria-label="rule"] line').count()).toBe(
        scored.filter((r) => r.ci95).length,
      );
      const rows = p.locator(`section[data-benchmark="${b.benchmark}"] table tbody tr`);
      expect(await rows.count()).toBe(scored.length);
      // every model's accuracy and interval as the API gives them, in the exports' format
      const text = await p.locator(`section[data-benchmark="${b.benchmark}"] table`).innerText();
      for (const r of scored) {
        expect(text).toContain(r.model);
        expect(text).toContain(`${(r.accuracy! * 100).toFixed(1)}%`);
      }
    }
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'leaderboard');
    await p.close();
  });

  it('ranks by intervals: a model shares a rank with every model whose interval overlaps the best of them', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/leaderboard?benchmark=mmlu-redux');
    const answer = await api<AnalysisResponse>(server.url, '/analysis', {
      benchmark: 'mmlu-redux',
      levels: [],
      unscored: 'exclude',
    });
    const rows = await p.locator('section[data-benchmark="mmlu-redux"] table tbody tr').all();
    expect(rows.length).toBe(answer.rows.length);
    const ci = new Map(answer.rows.map((r) => [r.model, r.ci95!]));
    const seen: { model: string; rank: number; tie: boolean }[] = [];
    for (const r of rows) {
      const cells = await r.locator('td').allInnerTexts();
      seen.push({ model: cells[1]!, rank: Number.parseInt(cells[0]!, 10), tie: cells[0]!.includes('=') });
    }
    // independent: rank = 1 + models whose lower bound exceeds this one's upper bound
    for (const s of seen) {
      const mine = ci.get(s.model)!;
      const above = [...ci.values()].filter((o) => o !== mine && o[0] > mine[1]).length;
      expect(s.rank, s.model).toBe(1 + above);
      expect(s.tie, s.model).toBe(seen.filter((o) => o.rank === s.rank).length > 1);
    }
    // only one benchmark shown, and the URL holds the choice
    expect(await p.locator('section.board').count()).toBe(1);
    expect(await p.locator('#lb-benchmark').inputValue()).toBe('mmlu-redux');
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('the unscored choice goes to the URL and to the query; phone width still shows every model', async () => {
    const { page: p, w } = await page(390);
    await open(p, server.url, '#/leaderboard?benchmark=mmlu-pro');
    await p.selectOption('#lb-unscored', 'wrong');
    await p.waitForFunction(() => location.hash.includes('unscored=wrong'));
    await p.waitForSelector('html[data-ready="true"]');
    const sent = w.requests.filter((r) => r.path === '/analysis').map((r) => JSON.parse(r.body!));
    expect(sent.some((b) => b.benchmark === 'mmlu-pro' && b.unscored === 'wrong')).toBe(true);
    const answer = await api<AnalysisResponse>(server.url, '/analysis', {
      benchmark: 'mmlu-pro',
      levels: [],
      unscored: 'wrong',
    });
    const fig = p.locator('[data-chart="leaderboard-mmlu-pro"]');
    expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(answer.rows.length);
    // reload: the same state from the URL alone
    await p.reload();
    await p.waitForSelector('html[data-ready="true"]');
    expect(await p.locator('#lb-unscored').inputValue()).toBe('wrong');
    expect(w.problems).toEqual([]);
    await shot(p, 'leaderboard-phone');
    await p.close();
  });
});

describe('keyboard', () => {
  it('the controls are reached with Tab and changed with the arrow keys; the focus stays on the control', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '');
    let reached = false;
    for (let i = 0; i < 25 && !reached; i++) {
      await p.keyboard.press('Tab');
      reached = await p.evaluate(() => document.activeElement?.id === 'lb-benchmark');
    }
    expect(reached).toBe(true);
    await p.keyboard.press('ArrowDown');
    await p.waitForFunction(() => location.hash.includes('benchmark='));
    await p.waitForSelector('html[data-ready="true"]');
    const chosen = await p.evaluate(() => new URLSearchParams(location.hash.split('?')[1]).get('benchmark'));
    expect(await p.locator('section.board').count()).toBe(1);
    expect(await p.locator('section.board').getAttribute('data-benchmark')).toBe(chosen);
    // re-rendered, and the focus is back on the select the user was on
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('lb-benchmark');
    expect(w.problems).toEqual([]);
    await p.close();
  });
});

describe('empty and unknown', () => {
  it('an empty store says what to do; an unknown benchmark or view says so; nothing fails', async () => {
    const emptyServer = await startDemoServer({ DEMO_DATA: 'off' });
    try {
      const p = await browser.newPage();
      const w = watch(p);
      await open(p, emptyServer.url, '');
      expect(await p.locator('main .state.empty').textContent()).toContain('No benchmarks yet');
      await open(p, server.url, '#/leaderboard?benchmark=no-such-benchmark');
      expect(await p.locator('main .state.empty').textContent()).toContain(
        'No benchmark named "no-such-benchmark"',
      );
      await open(p, server.url, '#/no-such-view');
      expect(await p.locator('main h1').textContent()).toBe('No such view');
      expect(w.problems).toEqual([]);
      await p.close();
    } finally {
      await emptyServer.stop();
    }
  });
});
