/**
 * The end-to-end harness of the dashboards: a real server (api/server.ts in a child process) over the bundled demo
 * data, and Debian's Chromium driven by playwright-core (never a downloaded browser). `watch` records every console
 * error, page error and failed or 4xx/5xx request of a page, for the tests to assert there were none; `axe` runs
 * axe-core in the page; `shot` writes a screenshot under test-output/dashboards for a reviewer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = new URL('../../', import.meta.url).pathname;
export const SHOTS = join(ROOT, 'test-output/dashboards');

/** Builds the UI when a source is newer than the build (as `npm test` does first). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-dashboards.mjs')], { stdio: 'inherit' });
}

export interface DemoServer {
  url: string;
  stop: () => Promise<void>;
  output: () => string;
}

/** A server over a fresh store with the bundled real results (DEMO_DATA=auto loads them, ~15–30 s here). */
export async function startDemoServer(env: Record<string, string> = {}): Promise<DemoServer> {
  ensureBuilt();
  const tmp = tmpDir('evalhouse-ui-');
  const s = await startServer(
    { DUCKDB_PATH: join(tmp.dir, 'ui.duckdb'), PORT: '0', DEMO_DATA: 'auto', ...env },
    180_000,
  );
  return {
    url: s.url,
    output: s.output,
    stop: async () => {
      await s.stop();
      tmp.cleanup();
    },
  };
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install the Debian package chromium (.ci/run does), or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}

export interface Watched {
  problems: string[];
  /** API requests the page made (method and path), in order */
  requests: { method: string; path: string; body: string | null }[];
}

/** Records what went wrong in a page; `allow` lists expected 4xx (an error state under test). */
export function watch(page: Page, allow: (status: number, url: string) => boolean = () => false): Watched {
  const w: Watched = { problems: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // a download's blob: URL and requests a newer choice aborted are not failures
    if (r.url().startsWith('blob:') || r.failure()?.errorText === 'net::ERR_ABORTED') return;
    w.problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http'))
      w.requests.push({ method: r.method(), path: u.pathname, body: r.postData() });
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !allow(r.status(), r.url()))
      w.problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return w;
}

/** Waits until the view has settled: rendered, and no request of it in flight. */
export async function ready(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForSelector(
    'html[data-ready="true"][data-busy="false"], html[data-ready="true"]:not([data-busy])',
    {
      timeout,
      state: 'attached',
    },
  );
}

/** Navigates to a view's hash URL and waits for it to settle. */
export async function open(page: Page, base: string, hash: string): Promise<void> {
  await page.goto(`${base}/${hash}`);
  await ready(page);
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations of the page as it is now (evaluated: the page's CSP allows no inline script). */
export async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const found = (await page.evaluate(async () => {
    const r = await (
      globalThis as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<unknown> } }
    ).axe.run(document, { resultTypes: ['violations'] });
    return r;
  })) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return found.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')})`,
    );
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** The API's answer to the same query the page sent, straight from the server (not through the page). */
export async function api<T>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export type Allow = (status: number, url: string) => boolean;

/** A page of `browser` at `width` (downloads accepted) and what went wrong in it (`watch`, with `allow`). */
export async function newPage(
  browser: Browser,
  width = 1280,
  allow?: Allow,
): Promise<{ page: Page; w: Watched }> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  return { page, w: watch(page, allow) };
}

/** POSTs canonical JSONL test data (invented, for the tests' own checks) to a server's /imports. */
export async function importTestData(base: string, filename: string, jsonl: string): Promise<void> {
  const res = await fetch(`${base}/imports?filename=${encodeURIComponent(filename)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: jsonl,
  });
  if (!res.ok) throw new Error(`import of the test data ${filename}: ${res.status} ${await res.text()}`);
}
