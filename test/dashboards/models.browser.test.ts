/**
 * The models page in Chromium against the real API and the fake provider: register a model (the key
 * write-only, shown as its last four), check it now, see its health and its history; the fake toggled
 * down, the next check shows the error.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { ensureBuilt, launch, newPage, open } from './browser.ts';

const KEY = 'sk-ui-models-9d8c7b6a5f4e3d2c';
const tmp = tmpDir('evalhouse-ui-models-');
let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;
let fake: FakeProvider;

beforeAll(async () => {
  ensureBuilt();
  fake = await startFakeProvider({ apiKey: KEY, models: ['gpt-fake'] });
  [server, browser] = await Promise.all([
    startServer({
      DUCKDB_PATH: join(tmp.dir, 'm.duckdb'),
      PORT: '0',
      DEMO_DATA: 'off',
      MODEL_HEALTH_INTERVAL_S: '0',
    }),
    launch(),
  ]);
}, 240_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.close();
  tmp.cleanup();
});

describe('models page', () => {
  it('registers a model, checks it now, shows its health and history, never the key', async () => {
    const { page: p, w } = await newPage(browser);
    await open(p, server.url, '#/models');
    expect(await p.locator('h1').textContent()).toBe('Models');
    await p.fill('#model-name', 'ui-gpt');
    await p.selectOption('#model-provider', 'openai');
    await p.fill('#model-id', 'gpt-fake');
    await p.fill('#model-base-url', fake.openaiBaseURL);
    await p.fill('#model-key', KEY);
    await p.fill('#model-price-in', '2');
    await p.fill('#model-price-out', '8');
    await p.click('#model-save');
    const row = p.locator('table.models tbody tr:has-text("ui-gpt")');
    await row.waitFor();
    expect(await row.textContent()).toContain(`…${KEY.slice(-4)}`);
    expect(await row.textContent()).toContain('not checked');
    const id = await row.getAttribute('data-model-id');

    await p.click(`#check-${id}`);
    await p.waitForSelector('table.models tbody tr:has-text("ok,")');
    await p.waitForSelector('table.health tbody tr');
    expect(await p.locator('table.health tbody tr').count()).toBe(1);

    fake.set({
      fault: (c) => (c.body.max_completion_tokens === 1 ? { type: 'status', status: 503 } : undefined),
    });
    await p.click(`#check-${id}`);
    await p.waitForSelector('table.models tbody tr:has-text("error:")');
    await p.waitForFunction(() => document.querySelectorAll('table.health tbody tr').length === 2);
    const statuses = await p.locator('table.health tbody tr td:nth-child(2)').allTextContents();
    expect(statuses).toEqual(['error', 'ok']);
    expect(await p.content()).not.toContain(KEY);
    expect(w.problems).toEqual([]);
    await p.close();
  });
});
