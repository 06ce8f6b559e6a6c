/**
 * Server-side chart rendering time (charts/server.ts) for the largest answer an export draws: the bundled
 * MMLU-Redux results (demo/, real data: the issue asks for export figures on it), the 14 models that cover all
 * 5,700 items × 57 subjects, and a /compare of every other model against the best one by subject.
 * renderSvg and renderPng run synchronously on the caller's thread, so their time is how long an export holds
 * the event loop per chart; renderChartAsync rasterises on libuv's pool, and the event loop's longest delay
 * during it is printed beside. Medians of --reps renders after one warm-up; the PNG's CPU time is printed too,
 * since on a shared machine the wall time also counts waiting for a core.
 *
 *   npx tsx perf/charts.ts [--reps 5] [--out perf/out/charts]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AnalysisRequest } from '../api/analysis/request.ts';
import { CompareRequest } from '../api/compare/request.ts';
import { compare } from '../api/compare/service.ts';
import { openContext } from '../api/context.ts';
import { renderChartAsync, renderPng, renderSvg } from '../charts/server.ts';
import { accuracyHeatmap, accuracyIntervals, compareForest } from '../charts/specs.ts';
import { loadConfig } from '../core/config.ts';
import { importFile } from '../ingest/import-file.ts';
import { tmpDir } from '../test/helpers/tmp.ts';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, out: { type: 'string', default: 'perf/out/charts' } },
});
const REPS = Number(values.reps);
const tmp = tmpDir('evalhouse-perf-charts-');
const ctx = await openContext(loadConfig({ DUCKDB_PATH: join(tmp.dir, 'c.duckdb'), DEMO_DATA: 'off' }), {
  mirrorLoop: false,
});
try {
  await importFile(ctx.record, 'demo/mmlu-redux.jsonl.gz', { format: 'canonical' });
  const all = await ctx.analysis.analyzeJson(AnalysisRequest.parse({ benchmark: 'mmlu-redux', levels: [] }));
  // results per model (scored or not): 5,700 for the 14 models on MMLU-Redux 2.0, 3,000 for the others
  const full = Math.max(...all.response.rows.map((r) => r.n_samples));
  const models = all.response.rows.filter((r) => r.n_samples === full).map((r) => r.model);
  const { response } = await ctx.analysis.analyzeJson(
    AnalysisRequest.parse({ benchmark: 'mmlu-redux', levels: ['subject'], models }),
  );
  const best = [...all.response.rows]
    .filter((r) => models.includes(r.model))
    .sort((a, b) => b.accuracy! - a.accuracy!)[0]!;
  const cmp = await compare(
    ctx.analysis,
    CompareRequest.parse({ benchmark: 'mmlu-redux', levels: ['subject'], models, baseline: best.model }),
  );
  console.log(
    `MMLU-Redux: ${models.length} models × ${new Set(response.rows.map((r) => r.groups.subject)).size} subjects ` +
      `(${response.rows.length} rows); compare: ${cmp.rows.length} rows against ${best.model}`,
  );
  mkdirSync(values.out, { recursive: true });
  const charts = {
    heatmap: accuracyHeatmap(response),
    intervals: accuracyIntervals(response),
    forest: compareForest(cmp),
  };
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (const [name, spec] of Object.entries(charts)) {
    const svgMs: number[] = [];
    const pngMs: number[] = [];
    const pngCpu: number[] = [];
    const asyncMs: number[] = [];
    const blockedMs: number[] = [];
    let svg = '';
    let png: Uint8Array = new Uint8Array();
    for (let i = 0; i <= REPS; i++) {
      const t0 = performance.now();
      svg = renderSvg(spec);
      const t1 = performance.now();
      const c1 = cpu();
      png = renderPng(svg);
      const t2 = performance.now();
      const c2 = cpu();
      // the async path: how long the event loop is blocked at most while the chart renders
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      // the histogram records from its second tick on: let it tick before the synchronous renderSvg starts
      await new Promise((r) => setTimeout(r, 30));
      const t3 = performance.now();
      await renderChartAsync(spec, name);
      const t4 = performance.now();
      h.disable();
      if (i === 0) continue; // warm-up: first use of Plot, the fonts, the JIT
      svgMs.push(t1 - t0);
      pngMs.push(t2 - t1);
      pngCpu.push(c2 - c1);
      asyncMs.push(t4 - t3);
      blockedMs.push(h.max / 1e6);
    }
    writeFileSync(join(values.out, `${name}.svg`), svg);
    writeFileSync(join(values.out, `${name}.png`), png);
    const w = /width="(\d+)"/.exec(svg)?.[1];
    const hgt = /height="(\d+)"/.exec(svg)?.[1];
    const f = (xs: number[]) => med(xs).toFixed(0).padStart(5);
    console.log(
      `  ${name.padEnd(9)} ${w}×${hgt}px  renderSvg ${f(svgMs)} ms  renderPng ${f(pngMs)} ms (CPU ${f(pngCpu)} ms)  ` +
        `renderChartAsync ${f(asyncMs)} ms, event loop blocked ≤ ${f(blockedMs)} ms  ` +
        `svg ${(svg.length / 1024).toFixed(0)} KB  png ${(png.length / 1024).toFixed(0)} KB`,
    );
  }
  console.log(`files in ${values.out}/`);
} finally {
  await ctx.close();
  tmp.cleanup();
}
