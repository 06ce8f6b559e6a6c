/**
 * Wall and CPU time of perf/analysis.ts's (i) query (3 levels, a new subject filter each repetition) on its
 * cached 1M-row file, the SQL directly and through POST /analysis (app.inject). process.cpuUsage counts
 * DuckDB's threads too, and unlike wall time it hardly moves when other processes load the machine, so
 * two trees can be compared on a shared machine. Runs unchanged in an older tree (copied into its bench/).
 *
 *   npx tsx perf/analysis-cpu.ts            (run perf/analysis.ts --rows 1000000 first)
 *   PROBE_MEASURES=no-ttft npx tsx perf/analysis-cpu.ts   every measure but the ttft quantiles
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { compileAggregate } from '../api/analysis/compile.ts';
import { AnalysisRequest } from '../api/analysis/request.ts';
import { resolveAnalysis } from '../api/analysis/resolve.ts';
import { buildApp } from '../api/app.ts';
import { openContext } from '../api/context.ts';
import { loadConfig } from '../core/config.ts';
import { queryRows } from '../store/duckdb/connection.ts';
import { prng, SUBJECT_NAMES } from './generate.ts';

const file = new URL('./out/analysis-1000000.duckdb', import.meta.url).pathname;
const ctx = await openContext(loadConfig({ DUCKDB_PATH: file, DEMO_DATA: 'off', ROW_CAP: '1000000' }), {
  mirrorLoop: false,
});
const app = await buildApp(ctx);
// older trees reached the instance directly
const duck = ctx.duck as unknown as {
  connect?: () => Promise<DuckDBConnection>;
  instance: { connect(): Promise<DuckDBConnection> };
};
const conn = await (duck.connect ? duck.connect() : duck.instance.connect());
let measures: string[] | undefined;
if (process.env.PROBE_MEASURES === 'no-ttft') {
  const m = (await import('../api/analysis/measures.ts')) as { MEASURE_NAMES: readonly string[] };
  measures = m.MEASURE_NAMES.filter((x) => !x.startsWith('ttft'));
}
const body = (i: number) => {
  const rand = prng(900 + i);
  return {
    benchmark: 'gen-knowledge',
    levels: ['category', 'year', 'difficulty'],
    filters: { subject: SUBJECT_NAMES.filter(() => rand() < 0.7) },
    ...(measures ? { measures } : {}),
  };
};
const t = () => performance.now();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const out = { dWall: [] as number[], dCpu: [] as number[], aWall: [] as number[], aCpu: [] as number[] };
const view = await ctx.analysis.catalog();
for (let i = -2; i < 16; i++) {
  const q = resolveAnalysis(view, AnalysisRequest.parse(body(i + 2)));
  const { sql, params } = compileAggregate(q, 'duckdb', 1_000_000);
  let t0 = t();
  let c0 = cpu();
  await queryRows(conn, sql, params);
  const dw = t() - t0;
  const dc = cpu() - c0;
  t0 = t();
  c0 = cpu();
  const r = await app.inject({ method: 'POST', url: '/analysis', payload: body(i + 100) });
  const aw = t() - t0;
  const ac = cpu() - c0;
  if (r.statusCode !== 200) throw new Error(r.body);
  if (i >= 0) {
    out.dWall.push(dw);
    out.dCpu.push(dc);
    out.aWall.push(aw);
    out.aCpu.push(ac);
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};
console.log(
  JSON.stringify({
    tree: process.cwd(),
    measures: process.env.PROBE_MEASURES ?? 'default',
    ...Object.fromEntries(
      Object.entries(out).map(([k, v]) => [
        k,
        { median: +med(v).toFixed(1), min: +Math.min(...v).toFixed(1) },
      ]),
    ),
  }),
);
conn.closeSync();
await app.close();
await ctx.close();
