/**
 * /compare against the equivalent /analysis on GENERATED data (perf/generate.ts), side by side in one run:
 * the same benchmark, two models, three levels and a subject filter that changes every repetition (so
 * neither answer comes from the cache). Target (issue 5): /compare within 2× of /analysis.
 *
 *   npx tsx perf/compare.ts [--rows 10000000] [--reps 15]
 *
 * Uses the DuckDB file perf/analysis.ts caches (perf/out/analysis-<rows>.duckdb); run that first.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.ts';
import { openContext } from '../api/context.ts';
import { loadConfig } from '../core/config.ts';
import { plan } from './generate.ts';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '10000000' }, reps: { type: 'string', default: '15' } },
});
const N = plan(Number(values.rows)).rows;
const file = new URL(`./out/analysis-${N}.duckdb`, import.meta.url).pathname;
if (!existsSync(`${file}.done`)) {
  console.error(`no cached ${file}: run npx tsx perf/analysis.ts --rows ${values.rows} first`);
  process.exit(2);
}
const ctx = await openContext(loadConfig({ DUCKDB_PATH: file, DEMO_DATA: 'off', ROW_CAP: '1000000' }), {
  mirrorLoop: false,
});
const app = await buildApp(ctx);
const view = await ctx.analysis.catalog();
const bench = 'gen-knowledge';
const b = view.benchmarks.get(bench)!;
const models = [
  ...new Set(view.runs.filter((r) => r.benchmarkId === b.id).map((r) => view.modelName.get(r.modelId)!)),
].sort();
const pair = [models[3]!, models[7]!];
const subjects = (
  (await app.inject({ method: 'GET', url: `/benchmarks/${bench}/metadata` }))
    .json()
    .fields.find((f: { name: string }) => f.name === 'subject').values as { value: string }[]
).map((v) => v.value);
const levels = ['category', 'year', 'difficulty'];

async function time(url: string, body: object): Promise<{ ms: number; rows: number }> {
  const t = performance.now();
  const res = await app.inject({ method: 'POST', url, payload: body });
  const ms = performance.now() - t;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  const j = res.json();
  if (j.meta.cached) throw new Error('cached answer: the bench must measure uncached ones');
  return { ms, rows: j.rows.length };
}

const REPS = Number(values.reps);
const a: number[] = [];
const c: number[] = [];
const cNoBayes: number[] = [];
let shape = '';
for (let i = 0; i < REPS + 2; i++) {
  // a different ~70 % of the subjects each time
  const filter = subjects.filter(
    (_, j) => ((Math.imul(j + 1, 2654435761) ^ Math.imul(i + 1, 40503)) >>> 0) % 10 < 7,
  );
  const common = { benchmark: bench, levels, models: pair, filters: { subject: filter } };
  const first = i % 2 === 0;
  const ra = first ? await time('/analysis', common) : null;
  const rc = await time('/compare', common);
  const rn = await time('/compare', { ...common, bayes: false });
  const ra2 = first ? ra! : await time('/analysis', common);
  if (i < 2) continue; // warm-up
  a.push(ra2.ms);
  c.push(rc.ms);
  cNoBayes.push(rn.ms);
  shape = `/analysis ${ra2.rows} rows, /compare ${rc.rows} rows`;
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(
  `${N.toLocaleString('en-US')} generated rows; ${bench}, models ${pair.join(' vs ')}, levels ${levels.join(' × ')}; ${shape}`,
);
console.log(`  /analysis (2 models)            median ${med(a).toFixed(1)} ms`);
console.log(
  `  /compare                        median ${med(c).toFixed(1)} ms   ratio ${(med(c) / med(a)).toFixed(2)}   target ≤ 2: ${med(c) / med(a) <= 2 ? 'MET' : 'MISSED'}`,
);
console.log(
  `  /compare with bayes: false      median ${med(cNoBayes).toFixed(1)} ms   ratio ${(med(cNoBayes) / med(a)).toFixed(2)}`,
);
await app.close();
await ctx.close();
