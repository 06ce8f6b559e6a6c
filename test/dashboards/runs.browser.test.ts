import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkListResponse } from '../../api/routes/benchmarks.ts';
import type { RunView } from '../../ingest/runner/run-view.ts';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { FIXTURE_DATA } from '../helpers/fixtures.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  api,
  axe,
  type DemoServer,
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
let fake: FakeProvider;
const tmp = tmpDir('evalhouse-ui-runs-');

interface RunList {
  runs: RunView[];
  total: number;
}

beforeAll(async () => {
  // slow answers, so a run is seen running for several seconds
  [server, browser, fake] = await Promise.all([
    startDemoServer(),
    launch(),
    startFakeProvider({ latencyMs: 400, answer: () => 'The answer is 42' }),
  ]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.close();
  tmp.cleanup();
});

/** `allow400`: the invalid-import test expects the API's 400 (Chromium also logs it to the console). */
const page = (width = 1280, allow400 = false) =>
  newPage(
    browser,
    width,
    (status, url) => allow400 && status === 400 && new URL(url).pathname === '/imports',
  );
const problems = (w: ReturnType<typeof watch>, allow400 = false) =>
  w.problems.filter((p) => !(allow400 && /status of 400/.test(p)));

const rowIds = async (p: Page) =>
  (
    await p
      .locator('table.runs tbody tr')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.runId))
  ).map(Number);

describe('runs and imports', () => {
  it('the runs table has the rows GET /runs answers, filtered and paged by the URL', async () => {
    const { page: p, w } = await page();
    await open(p, server.url, '#/runs');
    const all = await api<RunList>(server.url, '/runs?limit=25&offset=0');
    expect(await rowIds(p)).toEqual(all.runs.map((r) => r.id));
    expect(await p.locator('table.runs caption').textContent()).toContain(`of ${all.total}`);
    // a filter goes to the URL and to the query
    await p.selectOption('#runs-benchmark', 'mmlu-redux');
    await p.waitForFunction(() => location.hash.includes('benchmark=mmlu-redux'));
    await ready(p);
    const redux = await api<RunList>(server.url, '/runs?benchmark=mmlu-redux&limit=25&offset=0');
    expect(redux.runs.length).toBeGreaterThan(0);
    expect(await rowIds(p)).toEqual(redux.runs.map((r) => r.id));
    // page 2 of everything: the API's next 25
    await open(p, server.url, '#/runs?page=2');
    const second = await api<RunList>(server.url, '/runs?limit=25&offset=25');
    expect(await rowIds(p)).toEqual(second.runs.map((r) => r.id));
    // reload keeps the filter
    await open(p, server.url, '#/runs?benchmark=mmlu-pro&status=imported');
    await p.reload();
    await ready(p);
    expect(await p.locator('#runs-benchmark').inputValue()).toBe('mmlu-pro');
    expect(await p.locator('#runs-status').inputValue()).toBe('imported');
    const pro = await api<RunList>(server.url, '/runs?benchmark=mmlu-pro&status=imported&limit=25');
    expect(await rowIds(p)).toEqual(pro.runs.map((r) => r.id));
    // a run's results as a csv (POST /exports, kind results)
    const first = pro.runs[0]!;
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      p.click(`tr[data-run-id="${first.id}"] button[data-format="csv"]`),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const head = readFileSync((await download.path())!, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)[0]!;
    expect(head).toMatch(/benchmark/);
    expect(head).toMatch(/model/);
    expect(problems(w)).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await p.close();
  });

  it('a running run shows its progress growing without a reload (SSE), and cancel pauses it', async () => {
    const started = await api<{ id: number }>(server.url, '/runs', {
      benchmark: 'aime-2024',
      model: 'openai-compatible:fake-ui',
      base_url: fake.openaiBaseURL,
      limit: 30,
      concurrency: 1,
      run_id: 'ui-live',
    });
    const id = started.id;
    const { page: p, w } = await page();
    await open(p, server.url, '#/runs');
    // a mark that a reload would wipe
    await p.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const row = p.locator(`tr[data-run-id="${id}"]`);
    expect(await row.getAttribute('data-status')).toBe('running');
    const done = async () =>
      Number.parseInt((await row.locator('.run-progress .done').textContent()) ?? '0', 10);
    const seen = [await done().catch(() => 0)];
    for (let i = 0; i < 300 && new Set(seen).size < 3; i++) {
      await p.waitForTimeout(50);
      const d = await done().catch(() => 0);
      if (d !== seen.at(-1)) seen.push(d);
    }
    // it grew at least twice in the page, never went back, and the page was not reloaded
    expect(new Set(seen).size).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(await p.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(w.requests.filter((r) => r.path === '/runs').length).toBe(1);
    expect(w.requests.some((r) => r.path === `/runs/${id}/events`)).toBe(true);
    await shot(p, 'runs-live');
    // cancel asks first; "Keep running" leaves it running
    await p.click(`#cancel-${id}`);
    await p.click(`#cancel-no-${id}`);
    expect(await row.getAttribute('data-status')).toBe('running');
    // by keyboard: Enter asks (focus on "Stop it"), Escape leaves the question
    await p.focus(`#cancel-${id}`);
    await p.keyboard.press('Enter');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe(`cancel-yes-${id}`);
    await p.keyboard.press('Escape');
    expect(await p.locator(`#cancel-yes-${id}`).count()).toBe(0);
    expect(await row.getAttribute('data-status')).toBe('running');
    await p.click(`#cancel-${id}`);
    await p.click(`#cancel-yes-${id}`);
    await p.waitForSelector(`tr[data-run-id="${id}"][data-status="paused"]`, { timeout: 30_000 });
    const after = await api<RunView>(server.url, `/runs/${id}`);
    expect(after).toMatchObject({ status: 'paused', active: false });
    expect(after.progress!.done!).toBeLessThan(30);
    // the row shows what the API says now: its count, and no cancel button any more
    await p.waitForFunction(
      ([sel, n]) => document.querySelector(sel as string)?.textContent?.startsWith(`${n} /`),
      [`tr[data-run-id="${id}"] .run-progress .done`, after.progress!.done] as const,
    );
    expect(await p.locator(`#cancel-${id}`).count()).toBe(0);
    expect(await row.locator('.run-status').textContent()).toBe('paused');
    expect(problems(w)).toEqual([]);
    await p.close();
  });

  it("importing a real lm-eval samples file through the file input shows the API's summary", async () => {
    const file = join(
      FIXTURE_DATA,
      'formats/lm-eval/polymer_tg_gpt-4o-mini/samples_polymer_tg_prediction_2025-06-30T19-40-09.461247.jsonl',
    );
    // independent: one record per line of the samples file
    const records = readFileSync(file, 'utf8').trim().split('\n').length;
    const { page: p, w } = await page();
    await open(p, server.url, '#/runs');
    // every text the upload status shows, in order
    await p.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statusTexts: string[] }).statusTexts = seen;
      const el = document.getElementById('imp-status')!;
      new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, {
        childList: true,
        subtree: true,
      });
    });
    await p.setInputFiles('#imp-file', file);
    // the samples file does not name its model (its results file does): the panel's field does
    await p.fill('#imp-model', 'gpt-4o-mini');
    await p.click('#imp-start');
    await p.waitForSelector('.import-summary', { timeout: 60_000 });
    const inserted = Number((await p.locator('dd[data-field="inserted"]').textContent())!.replace(/,/g, ''));
    expect(inserted).toBe(records);
    const { benchmarks } = await api<BenchmarkListResponse>(server.url, '/benchmarks');
    const b = benchmarks.find((x) => x.model_names.includes('gpt-4o-mini'))!;
    expect(b.results).toBe(inserted);
    // the upload reported its progress (XHR upload events) before the server's answer
    const texts = await p.evaluate(() => (window as unknown as { statusTexts: string[] }).statusTexts);
    expect(texts.some((t) => /^uploaded|^uploading: [\d,]+ of [\d,]+ bytes/.test(t))).toBe(true);
    expect(texts.at(-1)).toBe('done');
    // the runs list redrew with the imported run at the top
    await ready(p);
    const runs = await api<RunList>(server.url, '/runs?limit=25');
    expect(runs.runs[0]).toMatchObject({ benchmark: b.benchmark, model: 'gpt-4o-mini' });
    await p.waitForFunction(
      (n) => document.querySelector('table.runs tbody tr')?.getAttribute('data-run-id') === n,
      String(runs.runs[0]!.id),
    );
    // POST /imports went with the file as its body and the names in the query
    const sent = w.requests.find((r) => r.method === 'POST' && r.path === '/imports');
    expect(sent).toBeDefined();
    expect(problems(w)).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'runs');
    await p.close();
  });

  it("an invalid file shows the API's line-numbered errors exactly as it gives them", async () => {
    // TEST DATA: a canonical file with three invalid records (lines 2, 3 and 4)
    const bad = join(tmp.dir, 'bad-results.jsonl');
    writeFileSync(
      bad,
      [
        JSON.stringify({ benchmark: 'ui-bad', model: 'm', item_id: 1, correct: true }),
        JSON.stringify({ benchmark: 'ui-bad', item_id: 2 }),
        JSON.stringify({ benchmark: 'ui-bad', model: 'm', item_id: 3, correct: 'maybe' }),
        'not json',
        '',
      ].join('\n'),
    );
    const res = await fetch(`${server.url}/imports?filename=bad-results.jsonl`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: readFileSync(bad),
    });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as {
      message: string;
      details: { errors: { file: string; line: number; field: string; message: string }[] };
    };
    expect(answer.details.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    const { page: p, w } = await page(390, true);
    await open(p, server.url, '#/runs');
    // dropped on the panel this time (a DataTransfer holding the file, as a drag from the desktop gives)
    const content = readFileSync(bad, 'utf8');
    await p.evaluate((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'bad-results.jsonl', { type: 'application/x-ndjson' }));
      document
        .getElementById('imp-drop')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, content);
    expect(await p.locator('#imp-file').evaluate((i) => (i as HTMLInputElement).files?.[0]?.name)).toBe(
      'bad-results.jsonl',
    );
    await p.click('#imp-start');
    await p.waitForSelector('table.import-errors', { timeout: 60_000 });
    expect(await p.locator('.import-failure [role="alert"]').textContent()).toContain(answer.message);
    const cells = await p
      .locator('table.import-errors tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent)),
      );
    expect(cells).toEqual(answer.details.errors.map((e) => [e.file, String(e.line), e.field, e.message]));
    // nothing was imported
    const { benchmarks } = await api<BenchmarkListResponse>(server.url, '/benchmarks');
    expect(benchmarks.find((b) => b.benchmark === 'ui-bad')?.results ?? 0).toBe(0);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(problems(w, true)).toEqual([]);
    expect(await axe(p)).toEqual([]);
    await shot(p, 'runs-import-errors-phone');
    await p.close();
  });
});
