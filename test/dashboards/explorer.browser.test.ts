import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../../api/analysis/service.ts';
import type { MetadataResponse, OptionsResponse } from '../../api/routes/benchmarks.ts';
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
  type watch,
} from './browser.ts';

let server: DemoServer;
let browser: Browser;

/**
 * TEST DATA, invented for this test (not results of any model): benchmark `ko-test`, two models with Korean
 * names, 20 items of subject 한국사 and 18 of 수학 (both fewer than 30 items: small groups), and 2 items with no
 * subject, whose 2 × 2 results the answer must count in `excluded`.
 */
const KO_MODELS = ['모델-가', '모델-나'];
function koRecords(): string {
  const lines: string[] = [];
  KO_MODELS.forEach((model, m) => {
    for (let i = 0; i < 40; i++) {
      const metadata: Record<string, string> =
        i < 20
          ? { subject: '한국사', level: i % 2 ? '어려움' : '쉬움' }
          : i < 38
            ? { subject: '수학', level: '쉬움' }
            : { level: '어려움' };
      lines.push(
        JSON.stringify({
          benchmark: 'ko-test',
          model,
          run: 'test',
          item_id: `q${i}`,
          correct: (i + m) % (m + 3) !== 0,
          metadata,
        }),
      );
    }
  });
  return `${lines.join('\n')}\n`;
}
const KO_EXCLUDED = 2 * KO_MODELS.length;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launch()]);
  await importTestData(server.url, 'ko-test.jsonl', koRecords());
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const page = (width = 1280) => newPage(browser, width);

/** The option values of a select, "none" (empty) left out. */
const optionValues = (p: Page, id: string) =>
  p.$$eval(`#${id} option`, (os) => os.map((o) => (o as HTMLOptionElement).value).filter((v) => v !== ''));

/** The analysis bodies the page sent, in order. */
const sentAnalyses = (w: ReturnType<typeof watch>) =>
  w.requests.filter((r) => r.path === '/analysis').map((r) => JSON.parse(r.body!) as Record<string, unknown>);

/** Changes a select and waits for the view to redraw with the new state in the URL. */
async function choose(p: Page, id: string, value: string, hashHas: string): Promise<void> {
  await p.selectOption(`#${id}`, value);
  await p.waitForFunction((s) => decodeURIComponent(location.hash).includes(s), hashHas);
  await ready(p);
}

interface Marks {
  cells: number;
  valuedCells: number;
  dots: number;
  rules: number;
  tableRows: number;
}
async function marks(p: Page): Promise<Marks> {
  const heat = p.locator('[data-chart="explorer-heatmap"]');
  const dots = p.locator('[data-chart="explorer-intervals"]');
  const count = (l: Locator) => l.count();
  return {
    cells: await count(heat.locator('g[aria-label="cell"] rect')),
    valuedCells: await count(heat.locator('g[aria-label="cell"]').first().locator('rect')),
    dots: await count(dots.locator('g[aria-label="dot"] circle')),
    rules: await count(dots.locator('g[aria-label="rule"] line')),
    tableRows: await count(p.locator('.explorer-results table tbody tr')),
  };
}

/** The marks the API's answer calls for: a cell per row (valued where it has an accuracy), a dot per accuracy. */
function expected(a: AnalysisResponse): Marks {
  const valued = a.rows.filter((r) => typeof r.accuracy === 'number').length;
  return {
    cells: a.rows.length,
    valuedCells: valued,
    dots: valued,
    rules: a.rows.filter((r) => r.ci95).length,
    tableRows: a.rows.length,
  };
}

describe('explorer', () => {
  it('the cascade offers exactly what the metadata and options endpoints answer, level by level', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer?benchmark=mmlu-redux');
    const md = await api<MetadataResponse>(server.url, '/benchmarks/mmlu-redux/metadata');
    const groupable = md.fields.filter((f) => f.groupable).map((f) => f.name);
    expect(await optionValues(p, 'ex-l1')).toEqual(groupable);
    // no Level1 in the URL: the first groupable field
    expect(await p.locator('#ex-l1').inputValue()).toBe(groupable[0]);
    const opts = (body: unknown) =>
      api<OptionsResponse>(server.url, '/benchmarks/mmlu-redux/metadata/options', body);
    const l2 = await opts({ level1: groupable[0] });
    expect(await optionValues(p, 'ex-l2')).toEqual(l2.fields.map((f) => f.name));
    expect(await p.locator('#ex-l3').count()).toBe(0);

    const second = l2.fields[0]!.name;
    await choose(p, 'ex-l2', second, `l2=${second}`);
    const l3 = await opts({ level1: groupable[0], level2: second });
    expect(await optionValues(p, 'ex-l3')).toEqual(l3.fields.map((f) => f.name));

    // Level1 values filtered: the options request carries them as level1_values, and the page offers its answer
    const l1 = 'error_type';
    const value = md.fields.find((f) => f.name === l1)!.values[0]!.value as string;
    await open(
      p,
      server.url,
      `#/explorer?benchmark=mmlu-redux&l1=${l1}&f.${l1}=${encodeURIComponent(value)}`,
    );
    const filtered = await opts({ level1: l1, level1_values: [value] });
    expect(await optionValues(p, 'ex-l2')).toEqual(filtered.fields.map((f) => f.name));
    const sent = w.requests
      .filter((r) => r.path === '/benchmarks/mmlu-redux/metadata/options')
      .map((r) => JSON.parse(r.body!));
    expect(sent).toContainEqual({ level1: l1, level1_values: [value] });
    expect(sentAnalyses(w).at(-1)).toMatchObject({ levels: [l1], filters: { [l1]: [value] } });
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('draws a cell, a dot and a table row per row of the answer; the URL round-trips; redraws are timed', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer?benchmark=mmlu-pro&l1=category');
    const query = {
      benchmark: 'mmlu-pro',
      levels: ['category'],
      unscored: 'exclude',
      measures: ['n', 'n_items', 'accuracy', 'ci95'],
    };
    expect(sentAnalyses(w).at(-1)).toEqual(query);
    const answer = await api<AnalysisResponse>(server.url, '/analysis', query);
    expect(answer.rows.length).toBeGreaterThan(100);
    expect(await marks(p)).toEqual(expected(answer));
    expect(Number(await p.locator('#ex-excluded').getAttribute('data-excluded'))).toBe(answer.excluded);

    // the choices go to the URL and the query: a second level, two models, a measure, unscored counted wrong
    const models = [...new Set(answer.rows.map((r) => r.model))].slice(0, 2);
    const timings: string[] = [];
    const timed = async (what: string) => {
      const pageMs = await p.evaluate(() => document.documentElement.dataset.renderMs);
      const apiMs = await p.locator('.explorer-results').getAttribute('data-api-ms');
      timings.push(`${what}: API ${apiMs} ms, page ${pageMs} ms`);
    };
    await choose(p, 'ex-l2', 'source', 'l2=source');
    await timed('Level2 = source');
    await p.locator('#ex-models summary').click();
    for (const m of models) {
      await p.locator(`#ex-models input[value="${m}"]`).check();
      await p.waitForFunction((m) => decodeURIComponent(location.hash).includes(`model=${m}`), m);
      await ready(p);
      await timed(`model ${m} ticked`);
    }
    await p.locator('#ex-measures summary').click();
    await p.locator('#ex-measures input[value="stderr"]').check();
    await p.waitForFunction(() => location.hash.includes('measure=stderr'));
    await ready(p);
    await timed('measure stderr added');
    await choose(p, 'ex-unscored', 'wrong', 'unscored=wrong');
    await timed('unscored = wrong');
    await choose(p, 'ex-l1', 'source', 'l1=source');
    await timed('Level1 = source');
    console.log(`explorer redraws (API meta.elapsed_ms vs the page's render):\n  ${timings.join('\n  ')}`);

    const query2 = {
      benchmark: 'mmlu-pro',
      levels: ['source', 'category'],
      models,
      unscored: 'wrong',
      measures: ['n', 'n_items', 'accuracy', 'stderr', 'ci95'],
    };
    // Level1 = source: the URL's l2 (source) is no longer among the options, so the page asks for no Level2
    const sentLast = sentAnalyses(w).at(-1)!;
    expect(sentLast).toEqual({ ...query2, levels: ['source'] });
    const answer2 = await api<AnalysisResponse>(server.url, '/analysis', { ...query2, levels: ['source'] });
    const before = await marks(p);
    expect(before).toEqual(expected(answer2));
    const headers = await p.locator('.explorer-results table thead th').allInnerTexts();
    expect(headers).toContain('stderr');
    // reload: the same controls and the same marks from the URL alone
    const hash = await p.evaluate(() => location.hash);
    await p.reload();
    await ready(p);
    expect(await p.evaluate(() => location.hash)).toBe(hash);
    expect(await p.locator('#ex-l1').inputValue()).toBe('source');
    expect(await p.locator('#ex-unscored').inputValue()).toBe('wrong');
    expect(
      await p
        .locator('#ex-models input:checked')
        .evaluateAll((i) => i.map((x) => (x as HTMLInputElement).value)),
    ).toEqual(models);
    expect(await marks(p)).toEqual(before);
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await p.close();
  });

  it('an export button delivers the xlsx of the query the page shows', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer?benchmark=mmlu-redux&l1=category');
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout: 60_000 }),
      p.locator('.explorer-results button[data-format="xlsx"]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/mmlu-redux.*\.xlsx$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(path!);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    const sent = w.requests.filter((r) => r.path === '/exports').map((r) => JSON.parse(r.body!));
    expect(sent).toEqual([{ kind: 'analysis', format: 'xlsx', query: sentAnalyses(w).at(-1) }]);
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('Korean model and subject names are in the heatmap and the table; NULL groups are counted; small groups marked', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer?benchmark=ko-test');
    expect(await p.locator('#ex-l1').inputValue()).toBe('subject');
    const answer = await api<AnalysisResponse>(server.url, '/analysis', {
      benchmark: 'ko-test',
      levels: ['subject'],
      unscored: 'exclude',
      measures: ['n', 'n_items', 'accuracy', 'ci95'],
    });
    expect(answer.excluded).toBe(KO_EXCLUDED);
    expect(await marks(p)).toEqual(expected(answer));
    const heat = await p.locator('[data-chart="explorer-heatmap"]').innerText();
    const tableText = await p.locator('.explorer-results table').innerText();
    for (const name of [...KO_MODELS, '한국사', '수학']) {
      expect(heat).toContain(name);
      expect(tableText).toContain(name);
    }
    expect(await p.locator('#ex-excluded').innerText()).toContain(`${KO_EXCLUDED} results left out`);
    // every group has fewer than 30 items: each row is marked small
    const small = answer.rows.filter((r) => r.n_items! < 30).length;
    expect(small).toBe(answer.rows.length);
    expect(await p.locator('.explorer-results table tbody td .small').count()).toBe(small);
    // accuracy as the test data makes it: model m is right on item i unless i + m is a multiple of m + 3
    for (const r of answer.rows) {
      const m = KO_MODELS.indexOf(r.model);
      const items = [...Array(40).keys()].filter((i) =>
        r.groups.subject === '한국사' ? i < 20 : i >= 20 && i < 38,
      );
      const right = items.filter((i) => (i + m) % (m + 3) !== 0).length;
      expect(r.accuracy).toBeCloseTo(right / items.length, 12);
      expect(tableText).toContain(`${((right / items.length) * 100).toFixed(1)}%`);
    }
    expect(w.problems).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'explorer-korean');
    await p.close();
  });

  it('pass@k with the k values typed: a column per k, the values the API gives', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer?benchmark=math&measure=pass%40k');
    await p.fill('#ex-pass-at', '1, 4');
    await p.press('#ex-pass-at', 'Enter');
    await p.waitForFunction(() => decodeURIComponent(location.hash).includes('pass_at=1,4'));
    await ready(p);
    const query = sentAnalyses(w).at(-1)!;
    expect(query).toMatchObject({ benchmark: 'math', pass_at: [1, 4] });
    expect(query.measures).toContain('pass@k');
    const answer = await api<AnalysisResponse>(server.url, '/analysis', query);
    const headers = await p.locator('.explorer-results table thead th').allTextContents();
    expect(headers).toEqual(expect.arrayContaining(['pass@1', 'pass@4']));
    const rows = await p.locator('.explorer-results table tbody tr').all();
    expect(rows.length).toBe(answer.rows.length);
    for (const [i, r] of answer.rows.entries()) {
      const cells = await rows[i]!.locator('td').allTextContents();
      for (const k of [1, 4]) {
        const v = (r[`pass@${k}`] as { value: number }).value;
        expect(cells[headers.indexOf(`pass@${k}`)]).toBe(`${(v * 100).toFixed(1)} %`);
      }
    }
    expect(w.problems).toEqual([]);
    await p.close();
  });

  it('at phone width nothing overflows the page: charts and table scroll inside their boxes', async () => {
    const { page: p, w } = await page(390);
    await open(p, server.url, '#/explorer?benchmark=mmlu-redux&l1=subject&l2=category');
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(w.problems).toEqual([]);
    await shot(p, 'explorer-phone');
    await p.close();
  });

  it('default view (nothing in the URL): the first benchmark and its first groupable field', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/explorer');
    const { benchmarks } = await api<{
      benchmarks: { benchmark: string; metadata: { name: string; groupable: boolean }[] }[];
    }>(server.url, '/benchmarks');
    const first = benchmarks[0]!;
    expect(await p.locator('#ex-benchmark').inputValue()).toBe(first.benchmark);
    expect(await p.locator('#ex-l1').inputValue()).toBe(first.metadata.find((m) => m.groupable)!.name);
    expect(w.problems).toEqual([]);
    await shot(p, 'explorer');
    await p.close();
  });
});
