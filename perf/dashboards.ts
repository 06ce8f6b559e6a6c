/**
 * The web UI's figures (issue 18), in one run:
 *   (i)   the built JavaScript and CSS: bytes raw, gzip (level 9) and brotli, against the 250 KB gzipped budget;
 *   (ii)  first view with data: a real server in a child process over the bundled demo data, Debian's Chromium;
 *         each view's default link opened in a new page, "cold" (the server's first answer to those queries)
 *         and "warm" (median of --reps more loads); the figure is the page's own `data-first-ready-ms`
 *         (navigation start → the view settled with its data), the target 1 s;
 *   (iii) explorer redraws: a sequence of choices (levels, models, filters) changed in the URL; for each, the
 *         render time (the change → settled), the API requests' span within it (Resource Timing) and the API's
 *         own `meta.elapsed_ms`, and what the page adds beyond its requests, the target API + 50 ms.
 *
 *   npx tsx perf/dashboards.ts [--reps 5]
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startServer } from '../test/helpers/cli.ts';
import { tmpDir } from '../test/helpers/tmp.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const REPS = Number(values.reps);
const ROOT = new URL('../', import.meta.url).pathname;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

// (i) sizes
execFileSync(process.execPath, [join(ROOT, 'scripts/build-dashboards.mjs'), '--force'], { stdio: 'ignore' });
const assets = join(ROOT, 'dashboards/dist/assets');
let jsGz = 0;
console.log('(i) built assets            raw        gzip      brotli');
for (const f of readdirSync(assets).filter((f) => /\.(js|css)$/.test(f))) {
  const body = readFileSync(join(assets, f));
  const gz = gzipSync(body, { level: 9 }).length;
  if (f.endsWith('.js')) jsGz += gz;
  console.log(
    `    ${f.padEnd(24)} ${kb(body.length).padStart(10)} ${kb(gz).padStart(10)} ${kb(brotliCompressSync(body).length).padStart(10)}`,
  );
}
console.log(`    JavaScript gzipped: ${kb(jsGz)} (budget 250 KB)\n`);

// (ii) first view
const VIEWS = (process.env.VIEWS ?? 'leaderboard,explorer,compare,items,trends,runs,cost').split(',');
const tmp = tmpDir('evalhouse-perf-ui-');
const server = await startServer(
  { DUCKDB_PATH: join(tmp.dir, 'ui.duckdb'), PORT: '0', DEMO_DATA: 'auto', LOG_LEVEL: 'warn' },
  300_000,
);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const firstReady = async (hash: string) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/${hash}`);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
    const ms = Number(await page.evaluate(() => document.documentElement.dataset.firstReadyMs));
    await page.close();
    return ms;
  };
  console.log('(ii) first view with data (navigation start → settled), ms   cold    warm (median of reps)');
  for (const v of VIEWS) {
    const cold = await firstReady(`#/${v}`);
    const warm: number[] = [];
    for (let i = 0; i < REPS; i++) warm.push(await firstReady(`#/${v}`));
    console.log(`    ${v.padEnd(58)} ${cold.toFixed(0).padStart(6)} ${median(warm).toFixed(0).padStart(7)}`);
  }

  // (iii) explorer redraws
  const STEPS = (
    process.env.STEPS ??
    [
      'benchmark=mmlu-redux&l1=category',
      'benchmark=mmlu-redux&l1=subject',
      'benchmark=mmlu-redux&l1=category&l2=subject',
      'benchmark=mmlu-redux&l1=subject&model=openai_gpt-4o-2024-05-13&model=meta_llama-3-70b',
      'benchmark=mmlu-pro&l1=category',
      'benchmark=mmlu-pro&l1=category&l2=source',
    ].join('|')
  ).split('|');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/#/explorer`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
  console.log('\n(iii) explorer redraw, ms          render  requests  API elapsed  page beyond requests');
  const answers: number[] = [];
  page.on('response', async (r) => {
    if (new URL(r.url()).pathname === '/analysis' && r.request().method() === 'POST') {
      try {
        answers.push((await r.json()).meta.elapsed_ms);
      } catch {
        // not an answer
      }
    }
  });
  for (const step of STEPS) {
    answers.length = 0;
    await page.evaluate(() => performance.clearResourceTimings());
    await page.evaluate((h) => {
      document.documentElement.dataset.ready = 'false';
      location.hash = `#/explorer?${h}`;
    }, step);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 50));
    const t = await page.evaluate(() => {
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const span = res.length
        ? Math.max(...res.map((e) => e.responseEnd)) - Math.min(...res.map((e) => e.startTime))
        : 0;
      return { render: Number(document.documentElement.dataset.renderMs), span, n: res.length };
    });
    const api = answers.length ? Math.max(...answers) : 0;
    console.log(
      `    ${step.slice(0, 60).padEnd(60)}\n    ${''.padEnd(28)} ${t.render.toFixed(0).padStart(6)} ${t.span.toFixed(0).padStart(9)} (${t.n}) ${api.toFixed(0).padStart(8)} ${(t.render - t.span).toFixed(0).padStart(12)}`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
  tmp.cleanup();
}
