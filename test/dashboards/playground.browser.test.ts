/**
 * The Playground page in Chromium against a real server: two models registered (POST /models) over an
 * OpenAI and an Anthropic fake with slow chunks; the page picks both, fills a variable detected from the
 * prompt, runs, and sees both answers grow while they stream, then their figures; the run is in the history.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider, tokensOf } from '../fake-provider/server.ts';
import { api, type DemoServer, launch, newPage, open, shot, startDemoServer } from './browser.ts';

let server: DemoServer;
let browser: Browser;
let openai: FakeProvider;
let anthropic: FakeProvider;
const ANSWER = (m: string) =>
  `Answer of ${m}, streamed in many small pieces for the page to show as they come.`;

beforeAll(async () => {
  const fake = () =>
    startFakeProvider({ chunks: 12, chunkDelayMs: 120, answer: (c) => ANSWER(String(c.body.model)) });
  [server, browser, openai, anthropic] = await Promise.all([
    startDemoServer({ DEMO_DATA: 'off' }),
    launch(),
    fake(),
    fake(),
  ]);
  await api(server.url, '/models', {
    name: 'fake-gpt',
    provider: 'openai',
    model: 'gpt-fake',
    base_url: openai.openaiBaseURL,
    api_key: 'sk-browser-test-1',
    price_in_per_mtok: 1,
    price_out_per_mtok: 2,
  });
  await api(server.url, '/models', {
    name: 'fake-claude',
    provider: 'anthropic',
    model: 'claude-fake',
    base_url: anthropic.anthropicBaseURL,
    api_key: 'sk-browser-test-2',
    price_in_per_mtok: 3,
    price_out_per_mtok: 4,
  });
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await openai?.close();
  await anthropic?.close();
});

it('runs a prompt against two models and shows both answers streaming side by side', async () => {
  const { page, w } = await newPage(browser);
  await open(page, server.url, '#/playground');
  await page.fill('#pg-user', 'Tell me about {{topic}}.');
  await page.fill('#pg-var-topic', 'streams');
  await page.selectOption('#pg-model-0', { label: 'fake-gpt (openai: gpt-fake)' });
  await page.selectOption('#pg-model-1', { label: 'fake-claude (anthropic: claude-fake)' });
  await page.click('#pg-run');
  // both answers have started and neither is complete: they stream at the same time
  await page.waitForFunction(() =>
    ['#pg-text-0', '#pg-text-1'].every((s) => (document.querySelector(s)?.textContent ?? '').length > 0),
  );
  const partial = await page.$$eval('.pg-text', (els) => els.map((e) => e.textContent ?? ''));
  expect(partial[0]!.length).toBeLessThan(ANSWER('gpt-fake').length);
  expect(partial[1]!.length).toBeLessThan(ANSWER('claude-fake').length);
  expect(await page.isEnabled('#pg-stop')).toBe(true);
  await page.waitForSelector('#pg-figures-0[data-state="done"]', { timeout: 20_000 });
  await page.waitForSelector('#pg-figures-1[data-state="done"]', { timeout: 20_000 });
  expect(await page.textContent('#pg-text-0')).toBe(ANSWER('gpt-fake'));
  expect(await page.textContent('#pg-text-1')).toBe(ANSWER('claude-fake'));
  const tin = tokensOf('Tell me about streams.');
  const tout0 = tokensOf(ANSWER('gpt-fake'));
  expect(await page.textContent('#pg-figures-0')).toContain(`tokens ${tin} in, ${tout0} out`);
  await page.waitForSelector('#pg-history .pg-open');
  expect(await page.textContent('#pg-history')).toContain('fake-gpt, fake-claude');
  await shot(page, 'playground');
  expect(w.problems).toEqual([]);
  await page.close();
}, 60_000);
