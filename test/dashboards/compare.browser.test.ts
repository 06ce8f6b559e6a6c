import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResponse } from '../../api/compare/service.ts';
import { api, axe, type DemoServer, launch, newPage, open, ready, shot, startDemoServer } from './browser.ts';
import { parseCsv, storedResults } from './csv.ts';

// Real demo data (HELM answers on MMLU-Redux); every expected number is asked of the API or counted here.
const SONNET = 'anthropic_claude-3-5-sonnet-20240620';
const LLAMA = 'meta_llama-3.1-405b-instruct-turbo';
const GPT4O = 'openai_gpt-4o-2024-05-13';
const HASH = `#/compare?benchmark=mmlu-redux&baseline=${GPT4O}&model=${SONNET}&model=${LLAMA}&slice=category`;
const QUERY = {
  benchmark: 'mmlu-redux',
  models: [SONNET, LLAMA, GPT4O],
  baseline: GPT4O,
  levels: ['category'],
  correction: 'holm',
  unscored: 'exclude',
};

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

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const pValue = (p: number | null) => (p === null ? 'n/a' : p < 0.0001 ? '< 0.0001' : p.toFixed(4));
/** "+2.5 pp" / "−1.1 pp" as the page writes a difference. */
const pp = (d: number) => `${d > 0 ? '+' : d < 0 ? '−' : ''}${Math.abs(d * 100).toFixed(1)} pp`;

describe('compare view', () => {
  it('draws one forest mark per compared row and tables sorted by the largest regression first', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, HASH);
    const firstMs = await p.evaluate(() => document.documentElement.dataset.firstReadyMs);
    console.log(`compare: first view with data ${firstMs} ms after navigation start`);
    const answer = await api<CompareResponse>(server.url, '/compare', QUERY);
    // the page sent exactly this query
    const sent = w.requests.filter((r) => r.path === '/compare').map((r) => JSON.parse(r.body!));
    expect(sent).toContainEqual(QUERY);
    const fig = p.locator('[data-chart="compare-forest"]');
    expect(await fig.locator('g[aria-label="dot"] circle').count()).toBe(
      answer.rows.filter((r) => r.diff !== null).length,
    );
    // the whiskers are the horizontal rules (the zero line of each panel is vertical)
    const whiskers = await fig
      .locator('g[aria-label="rule"] line')
      .evaluateAll((ls) => ls.filter((l) => l.getAttribute('y1') === l.getAttribute('y2')).length);
    expect(whiskers).toBe(answer.rows.filter((r) => r.ci95 !== null).length);
    for (const [cls, overall] of [
      ['compare-overall', true],
      ['compare-slices', false],
    ] as const) {
      const rows = answer.rows.filter((r) => r.overall === overall);
      // independent order: ascending difference (the most negative, the largest regression, first)
      const expected = [...rows].sort((x, y) => x.diff! - y.diff!);
      const cells = await p
        .locator(`table.${cls} tbody tr`)
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
      expect(cells.length).toBe(rows.length);
      const header = await p.locator(`table.${cls} thead th`).allTextContents();
      const col = (name: string) => header.indexOf(name);
      cells.forEach((c, i) => {
        const r = expected[i]!;
        expect(c[col('model (A)')]).toBe(r.model);
        if (!overall) expect(c[col('slice')]).toBe(String(r.groups.category));
        expect(c[col('A − B')]).toBe(pp(r.diff!));
        expect(c[col('p')]).toBe(pValue(r.p_value));
        expect(c[col('p adjusted')]).toBe(`${pValue(r.p_adjusted)}${r.significant ? ' *' : ''}`);
        expect(c[col('P(A > B)')]).toBe(pct(r.bayes!.prob_a_greater_b));
      });
    }
    expect(await p.locator('table.compare-slices caption').textContent()).toContain(
      'largest regression first',
    );
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'compare');
    await p.close();
  });

  it('lists the separating items: counts equal an independent count from the stored results; an item opens the item view', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, `${HASH}&pair=${LLAMA}`);
    // independent: the stored outcomes of both models (the results export), A right and B wrong per item
    const stored = await storedResults(server.url, 'mmlu-redux', [LLAMA, GPT4O]);
    const outcome = new Map<string, Map<string, string>>();
    for (const r of stored) {
      const m = outcome.get(r.model!) ?? new Map<string, string>();
      outcome.set(r.model!, m);
      m.set(r.item!, r.outcome!);
    }
    const a = outcome.get(LLAMA)!;
    const b = outcome.get(GPT4O)!;
    const aRight = [...a].filter(([i, o]) => o === 'correct' && b.get(i) === 'incorrect').map(([i]) => i);
    const bRight = [...a].filter(([i, o]) => o === 'incorrect' && b.get(i) === 'correct').map(([i]) => i);
    expect(aRight.length).toBeGreaterThan(25);
    const heading = async (side: string) => p.locator(`#cmp-sep-${side}-h`).textContent();
    expect(await heading('a')).toBe(`${LLAMA} right, ${GPT4O} wrong (${aRight.length})`);
    expect(await heading('b')).toBe(`${GPT4O} right, ${LLAMA} wrong (${bRight.length})`);
    const listed = await p.locator('#cmp-sep-a-list a').allTextContents();
    expect(listed.length).toBe(25);
    for (const i of listed) expect(aRight).toContain(i);
    // the next page: other items of the same side, and the offset is in the URL
    await p.click('#cmp-sep-a-next');
    await p.waitForFunction(() => location.hash.includes('aoff=25'));
    await ready(p);
    const next = await p.locator('#cmp-sep-a-list a').allTextContents();
    expect(next.some((i) => listed.includes(i))).toBe(false);
    for (const i of next) expect(aRight).toContain(i);
    // an item opens the item view with every model's result
    const first = next[0]!;
    await p.locator('#cmp-sep-a-list a').first().click();
    await p.waitForFunction(() => location.hash.startsWith('#/item?'));
    await ready(p);
    const results = await api<{ total: number }>(
      server.url,
      `/benchmarks/mmlu-redux/items/${encodeURIComponent(first)}/results?limit=1000`,
    );
    expect(await p.locator('h1').textContent()).toBe(`Item ${first}`);
    expect(await p.locator('table.item-results tbody tr').count()).toBe(results.total);
    const rows = await p.locator('table.item-results tbody tr').allInnerTexts();
    expect(rows.find((r) => r.startsWith(LLAMA))).toContain('correct');
    expect(rows.find((r) => r.startsWith(GPT4O))).toContain('incorrect');
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it("separating items within one slice value: the filter reaches the API and the counts are the slice's", async () => {
    const { page: p, w } = await page();
    await open(p, server.url, HASH);
    await p.selectOption('#cmp-in', 'humanities');
    await p.waitForFunction(() => location.hash.includes('in=humanities'));
    await ready(p);
    const sent = w.requests.filter((r) => r.path === '/compare/items').map((r) => JSON.parse(r.body!));
    expect(sent.some((b) => b.filters?.category?.[0] === 'humanities' && b.models[0] === SONNET)).toBe(true);
    const stored = await storedResults(server.url, 'mmlu-redux', [SONNET, GPT4O]);
    const of = (m: string) =>
      new Map(
        stored.filter((r) => r.model === m && r.category === 'humanities').map((r) => [r.item!, r.outcome!]),
      );
    const a = of(SONNET);
    const b = of(GPT4O);
    const aRight = [...a].filter(([i, o]) => o === 'correct' && b.get(i) === 'incorrect').length;
    const bRight = [...a].filter(([i, o]) => o === 'incorrect' && b.get(i) === 'correct').length;
    expect(await p.locator('#cmp-sep-a-h').textContent()).toBe(`${SONNET} right, ${GPT4O} wrong (${aRight})`);
    expect(await p.locator('#cmp-sep-b-h').textContent()).toBe(`${GPT4O} right, ${SONNET} wrong (${bRight})`);
    // and they equal the slice row's discordant pairs in the comparison
    const answer = await api<CompareResponse>(server.url, '/compare', QUERY);
    const row = answer.rows.find((r) => r.model === SONNET && r.groups.category === 'humanities')!;
    expect([aRight, bRight]).toEqual([row.discordant!.a_only, row.discordant!.b_only]);
    await p.reload();
    await ready(p);
    expect(await p.locator('#cmp-in').inputValue()).toBe('humanities');
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('the URL round-trips the state; a csv export holds the compared rows; phone width works', async () => {
    const { page: p, w } = await page(390);
    await open(p, server.url, '#/compare?benchmark=mmlu-redux');
    // change baseline and slice through the controls, then reload
    await p.selectOption('#cmp-baseline', GPT4O);
    await ready(p);
    await p.selectOption('#cmp-slice', 'error_type');
    await p.waitForFunction(() => location.hash.includes('slice=error_type'));
    await ready(p);
    const url = p.url();
    const marks = await p.locator('[data-chart="compare-forest"] g[aria-label="dot"] circle').count();
    const models = (await p
      .locator('#cmp-models input:checked')
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))) as string[];
    expect(models.length).toBe(1);
    await p.reload();
    await ready(p);
    expect(p.url()).toBe(url);
    expect(await p.locator('#cmp-baseline').inputValue()).toBe(GPT4O);
    expect(await p.locator('#cmp-slice').inputValue()).toBe('error_type');
    expect(await p.locator('[data-chart="compare-forest"] g[aria-label="dot"] circle').count()).toBe(marks);
    const answer = await api<CompareResponse>(server.url, '/compare', {
      benchmark: 'mmlu-redux',
      models: [models[0], GPT4O],
      baseline: GPT4O,
      levels: ['error_type'],
      correction: 'holm',
      unscored: 'exclude',
    });
    expect(marks).toBe(answer.rows.filter((r) => r.diff !== null).length);
    // nothing wider than the phone: tables and charts scroll inside their boxes
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.click('button.export[data-format="csv"]'),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const rows = parseCsv(text);
    expect(rows.length).toBe(answer.rows.length);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['model', 'baseline', 'p_adjusted']));
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'compare-phone');
    await p.close();
  });
});

describe('compare view: A/B tests of runs and prompt versions', () => {
  type RunRow = { id: number; model: string; label: string };
  const ppi = (ci: readonly [number, number]) => `${pp(ci[0])} to ${pp(ci[1])}`;

  it('runs mode: the switch, the query sent, and P(B better), its interval, the expected loss and the sample-size verdict as the API answers', async () => {
    const runs = (await api<{ runs: RunRow[] }>(server.url, '/runs?benchmark=mmlu-redux&limit=1000')).runs;
    const a = runs.find((r) => r.model === GPT4O)!;
    const b = runs.find((r) => r.model === SONNET)!;
    const { page: p, w } = await page();
    await open(p, server.url, '#/compare?benchmark=mmlu-redux');
    await p.selectOption('#cmp-mode', 'runs');
    await ready(p);
    expect(p.url()).toContain('mode=runs');
    expect(await p.locator('h1').textContent()).toBe('Compare runs (A/B)');
    expect(await p.locator('#cmp-run-a').count()).toBe(1);

    await open(
      p,
      server.url,
      `#/compare?mode=runs&benchmark=mmlu-redux&runa=${a.id}&runb=${b.id}&slice=category`,
    );
    const query = {
      runs: [a.id, b.id],
      levels: ['category'],
      unscored: 'exclude',
      target_difference: 0.05,
    };
    const sent = w.requests.filter((r) => r.path === '/compare').map((r) => JSON.parse(r.body!));
    expect(sent).toContainEqual(query);
    const answer = await api<CompareResponse>(server.url, '/compare', query);
    expect(answer.mode).toBe('runs');
    expect(answer.baseline).toBe(`#${a.id} ${a.label}`);
    const verdict = (r: CompareResponse['rows'][number]) => {
      const s = r.sample_size!;
      const n = (v: number) => v.toLocaleString('en-US');
      if (s.n_needed === null) return 'no n is enough at this discordance';
      return s.large_enough ? `enough (needs ${n(s.n_needed)})` : `too small: needs ${n(s.n_needed)}`;
    };
    for (const [cls, overall] of [
      ['compare-ab-overall', true],
      ['compare-ab-slices', false],
    ] as const) {
      const rows = answer.rows.filter((r) => r.overall === overall);
      const expected = overall ? rows : [...rows].sort((x, y) => x.diff! - y.diff!);
      const header = await p.locator(`table.${cls} thead th`).allTextContents();
      const col = (name: string) => {
        const i = header.indexOf(name);
        expect(i, `${name} in ${header.join(' | ')}`).toBeGreaterThanOrEqual(0);
        return i;
      };
      const cells = await p
        .locator(`table.${cls} tbody tr`)
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
        );
      expect(cells.length).toBe(rows.length);
      cells.forEach((c, i) => {
        const r = expected[i]!;
        expect(c[col('arm (B)')]).toBe(`#${b.id} ${b.label}`);
        expect(c[col('accuracy A')]).toBe(pct(r.accuracy_b!));
        expect(c[col('accuracy B')]).toBe(pct(r.accuracy_a!));
        expect(c[col('B − A')]).toBe(pp(r.diff!));
        expect(c[col('p')]).toBe(pValue(r.p_value));
        expect(c[col('P(B better)')]).toBe(pct(r.paired_bayes!.prob_model_better));
        expect(c[col('credible interval')]).toBe(ppi(r.paired_bayes!.ci95));
        expect(c[col('expected loss of B')]).toBe(
          `${(r.paired_bayes!.expected_loss_model * 100).toFixed(2)} pp`,
        );
        expect(c[col('detects +5.0 pp?')]).toBe(verdict(r));
      });
    }
    expect(await p.locator('[data-chart="compare-forest"] g[aria-label="dot"] circle').count()).toBe(
      answer.rows.filter((r) => r.diff !== null).length,
    );
    // another target difference reaches the API
    await p.selectOption('#cmp-target', '0.02');
    await ready(p);
    const last = w.requests.filter((r) => r.path === '/compare').map((r) => JSON.parse(r.body!));
    expect(last).toContainEqual({ ...query, target_difference: 0.02 });
    expect(await p.locator('table.compare-ab-overall thead th').allTextContents()).toContain(
      'detects +2.0 pp?',
    );
    expect(await axe(p)).toEqual([]);
    await shot(p, 'compare-ab-runs');
  }, 120_000);

  it('prompt versions mode: the versions typed reach the API; a version with no run shows its 400 message', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/compare?mode=prompts&benchmark=mmlu-redux');
    expect(await p.locator('h1').textContent()).toBe('Compare prompt versions (A/B)');
    await p.fill('#cmp-versions', 'qa@1, qa@2');
    await p.click('#cmp-versions-apply');
    await ready(p);
    expect(new URL(p.url()).hash).toMatch(/versions=qa%401/);
    const sent = w.requests.filter((r) => r.path === '/compare').map((r) => JSON.parse(r.body!));
    expect(sent).toContainEqual({
      prompt_versions: ['qa@1', 'qa@2'],
      benchmark: 'mmlu-redux',
      levels: [],
      unscored: 'exclude',
      target_difference: 0.05,
    });
    // the demo store's runs used the benchmark's own template: no run was made with qa@1
    const alert = p.locator('[role="alert"]');
    expect(await alert.textContent()).toContain('no run was made with prompt version qa@1');
    expect(await axe(p)).toEqual([]);
  }, 120_000);
});
