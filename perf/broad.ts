/**
 * The broad analysis of issue 19 on GENERATED records (perf/generate.ts), side by side with a user's own query:
 *   API:  POST /analysis {benchmark: gen-knowledge, levels: [category, year, difficulty], filters: {year: 9 of
 *         the 10 years}}, uncached (another year left out, or the kept years in another order, every repetition),
 *         with every measure (the default) and with only the measures the raw query computes;
 *   raw:  the same records exported as one CSV (one row per result, metadata as columns, as a harness or a
 *         leaderboard writes them), loaded into a plain in-memory DuckDB table with read_csv, and the group-by a
 *         user writes by hand: count, sum, mean, sd of correctness and the latency percentiles per group.
 * Both run in this process, interleaved, so load on the machine hits both alike; the ratio of medians is the
 * figure. The answers are checked equal (n, correct, latency p50/p95 per group) before anything is timed.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildApp } from '../api/app.ts';
import { openContext } from '../api/context.ts';
import { loadConfig } from '../core/config.ts';
import { queryRows } from '../store/duckdb/connection.ts';
import { ensureDuckFile } from './duck-file.ts';
import { YEARS } from './generate.ts';

const BENCH = 'gen-knowledge';
const LEVELS = ['category', 'year', 'difficulty'];
/** The measures the raw query computes (n, sum, mean, sd, latency percentiles), for the like-for-like request. */
const RAW_MEASURES = ['n', 'n_samples', 'correct', 'accuracy', 'stderr', 'latency_ms_p50', 'latency_ms_p95'];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const t = () => performance.now();
/** This process's CPU time in ms, DuckDB's threads included (steadier than wall time on a shared machine). */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The kept years of repetition i: 9 of 10, a different one left out (then a different order) each time. */
export function keptYears(i: number): number[] {
  const kept = YEARS.filter((_, j) => j !== i % YEARS.length);
  const turn = Math.floor(i / YEARS.length) % kept.length;
  return [...kept.slice(turn), ...kept.slice(0, turn)];
}

const broadBody = (i: number, measures?: string[]) => ({
  benchmark: BENCH,
  levels: LEVELS,
  filters: { year: keptYears(i) },
  ...(measures ? { measures } : {}),
});

/** The user's query on the CSV's table. WARNING: years are integers of ours (keptYears), never input. */
const rawSql = (years: number[], table = 'results_csv') => `
  SELECT model, category, year, difficulty,
    count(*) AS n_samples, count(correct) AS n, sum(correct::INT) AS correct,
    avg(correct::INT) AS accuracy, stddev_samp(correct::INT) AS sd,
    quantile_disc(latency_ms, [0.5, 0.95]) AS latency
  FROM ${table}
  WHERE benchmark = '${BENCH}' AND year IN (${years.map((y) => Math.trunc(y)).join(', ')})
  GROUP BY ALL ORDER BY ALL`;

/** Every result of the store file as one flat CSV (written once next to the file; reruns reuse it). */
async function ensureCsv(conn: Awaited<ReturnType<DuckDBInstance['connect']>>, csv: string) {
  if (existsSync(csv)) return;
  const b = await queryRows<{ id: number }>(conn, 'SELECT id FROM benchmarks WHERE slug = ?', [BENCH]);
  const fields = await queryRows<{ name: string; col: number }>(
    conn,
    'SELECT name, col FROM benchmark_fields WHERE benchmark_id = ? AND col IS NOT NULL',
    [b[0]!.id],
  );
  // the generated benchmarks share their fields' columns (same names, same order of registration)
  const meta = fields.map((f) => `json_extract_string(i.metadata, '$.${f.name}') AS ${f.name}`).join(', ');
  const tmp = `${csv}.tmp`;
  await conn.run(`COPY (
    SELECT mo.name AS model, b.slug AS benchmark, i.item_key AS item_id, r.sample,
      CASE r.outcome WHEN 0 THEN 'correct' WHEN 1 THEN 'incorrect' WHEN 2 THEN 'unscored' ELSE 'error' END AS outcome,
      r.correct, r.score, r.answer, r.latency_ms, r.ttft_ms, r.tokens_in, r.tokens_out, r.cost_usd, ${meta}
    FROM results r JOIN runs ru ON ru.id = r.run_id JOIN models mo ON mo.id = ru.model_id
      JOIN benchmarks b ON b.id = ru.benchmark_id JOIN items i ON i.id = r.item_id
    ORDER BY r.id) TO '${tmp}' (FORMAT csv, HEADER)`);
  renameSync(tmp, csv);
}

export interface BroadFigures {
  rows: number;
  api: number;
  apiSameMeasures: number;
  raw: number | null;
  rawBench: number | null;
  ratio: number | null;
  ratioStricter: number | null;
  ratioSameMeasures: number | null;
}

/** The broad query's uncached API time alone on the cached (or newly built) `rows`-row file. */
export const uncachedFigure = (rows: number, out: string, reps: number, env: Record<string, string> = {}) =>
  broadFigures(rows, out, reps, false, env);

/**
 * Times the broad query on the cached `rows`-row DuckDB file: through the API (HTTP, to the last byte), and,
 * when `raw` is set, the user's query on the CSV's table beside it. `env`: more of the server's settings
 * (DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS).
 */
export async function broadFigures(
  rows: number,
  out: string,
  reps: number,
  raw: boolean,
  env: Record<string, string> = {},
): Promise<BroadFigures> {
  const path = await ensureDuckFile(rows, out);
  const ctx = await openContext(
    loadConfig({
      ...env,
      DUCKDB_PATH: path,
      DEMO_DATA: 'off',
      LOG_LEVEL: 'silent',
      QUERY_TIMEOUT_MS: '600000',
    }),
    { mirrorLoop: false },
  );
  const app = await buildApp(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/analysis`;
  const post = async (body: unknown) => {
    const t0 = t();
    const c0 = cpu();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const ms = t() - t0;
    const cpuMs = cpu() - c0;
    if (res.status !== 200) throw new Error(`POST /analysis ${res.status}: ${text}`);
    const json = JSON.parse(text) as { meta: { cached: boolean }; rows: Record<string, unknown>[] };
    if (json.meta.cached) throw new Error('expected an uncached answer');
    return { ms, cpuMs, json, bytes: text.length };
  };

  let rawConn: Awaited<ReturnType<DuckDBInstance['connect']>> | null = null;
  if (raw) {
    const csv = join(out, `analysis-${rows}.csv`);
    const storeConn = await ctx.duck.connect();
    const t0 = t();
    await ensureCsv(storeConn, csv);
    storeConn.closeSync();
    const instance = await DuckDBInstance.create(':memory:');
    rawConn = await instance.connect();
    const t1 = t();
    await rawConn.run(`CREATE TABLE results_csv AS SELECT * FROM read_csv('${csv}')`);
    // the stricter baseline: a table of this benchmark's rows only (a user importing one harness file)
    await rawConn.run(`CREATE TABLE results_bench AS SELECT * FROM results_csv WHERE benchmark = '${BENCH}'`);
    console.log(
      `  raw baseline: ${csv} (written in ${((t1 - t0) / 1000).toFixed(1)} s if new) loaded into an in-memory table by read_csv in ${((t() - t1) / 1000).toFixed(1)} s`,
    );
    // its own measure list: no timed body repeats it
    await checkEqual(rawConn, await post(broadBody(0, [...RAW_MEASURES, 'unscored'])));
  }
  const runRaw = async (i: number, table: string) => {
    const t0 = t();
    const c0 = cpu();
    // read as a Node user of @duckdb/node-api would (not through the product's queryRows)
    (await rawConn!.runAndReadAll(rawSql(keptYears(i), table))).getRowObjectsJS();
    return { ms: t() - t0, cpuMs: cpu() - c0 };
  };

  // wall and CPU ms per series
  const series = () => ({ ms: [] as number[], cpu: [] as number[] });
  const apiS = series();
  const sameS = series();
  const rawS = series();
  const benchS = series();
  const keep = (s: ReturnType<typeof series>, x: { ms: number; cpuMs: number }) => {
    s.ms.push(x.ms);
    s.cpu.push(x.cpuMs);
  };
  let answer = { rows: 0, bytes: 0 };
  for (let i = -2; i < reps; i++) {
    const k = i + 2;
    // the order of the three rotates, so none always runs right after another
    const steps = [
      async () => {
        const a = await post(broadBody(k));
        answer = { rows: a.json.rows.length, bytes: a.bytes };
        if (i >= 0) keep(apiS, a);
      },
      async () => {
        const a = await post(broadBody(k + 1000, RAW_MEASURES));
        if (i >= 0) keep(sameS, a);
      },
      async () => {
        if (!rawConn) return;
        const x = await runRaw(k, 'results_csv');
        if (i >= 0) keep(rawS, x);
      },
      async () => {
        if (!rawConn) return;
        const x = await runRaw(k, 'results_bench');
        if (i >= 0) keep(benchS, x);
      },
    ];
    for (let s = 0; s < steps.length; s++) await steps[(s + k) % steps.length]!();
  }
  rawConn?.closeSync();
  await app.close();
  await ctx.close();

  const api = median(apiS.ms);
  const same = median(sameS.ms);
  const r = rawS.ms.length ? median(rawS.ms) : null;
  const rb = benchS.ms.length ? median(benchS.ms) : null;
  const line = (label: string, x: ReturnType<typeof series>) =>
    console.log(
      `  ${label.padEnd(66)} median ${median(x.ms).toFixed(1).padStart(8)} ms (min ${Math.min(...x.ms).toFixed(1)}, n=${x.ms.length})   CPU ${median(x.cpu).toFixed(1).padStart(7)} ms`,
    );
  line(`API POST /analysis, every measure (answer ${fmt(answer.rows)} rows, ${fmt(answer.bytes)} B)`, apiS);
  line(`API POST /analysis, measures: ${RAW_MEASURES.length} of the raw query's`, sameS);
  if (r !== null && rb !== null) {
    line('raw: DuckDB group-by on the CSV loaded into a plain table', rawS);
    line(`raw, stricter: a plain table of the ${BENCH} rows only`, benchS);
    const ok = (x: number) => (x <= 1.2 ? 'MET' : 'MISSED');
    for (const [label, base, baseCpu] of [
      ['raw', r, median(rawS.cpu)],
      ['stricter raw', rb, median(benchS.cpu)],
    ] as const) {
      console.log(
        `  ratio API / ${label} (medians): every measure ${(api / base).toFixed(2)} (target ≤ 1.2: ${ok(api / base)}), ` +
          `same measures ${(same / base).toFixed(2)} (${ok(same / base)}); CPU ${(median(apiS.cpu) / baseCpu).toFixed(2)}`,
      );
    }
  }
  return {
    rows,
    api,
    apiSameMeasures: same,
    raw: r,
    rawBench: rb,
    ratio: r === null ? null : api / r,
    ratioSameMeasures: r === null ? null : same / r,
    ratioStricter: rb === null ? null : api / rb,
  };
}

/** The API's and the raw query's numbers agree per group (else the comparison would time different work). */
async function checkEqual(
  rawConn: Awaited<ReturnType<DuckDBInstance['connect']>>,
  api: { json: { rows: Record<string, unknown>[] } },
) {
  const raw = await queryRows<Record<string, unknown>>(rawConn, rawSql(keptYears(0)));
  const key = (m: unknown, c: unknown, y: unknown, d: unknown) => `${m}|${c}|${y}|${d}`;
  const byKey = new Map(raw.map((r) => [key(r.model, r.category, r.year, r.difficulty), r]));
  let diffs = 0;
  for (const a of api.json.rows) {
    const g = a.groups as Record<string, unknown>;
    const r = byKey.get(key(a.model, g.category, g.year, g.difficulty));
    const lat = r ? String(r.latency).slice(1, -1).split(',').map(Number) : [];
    if (
      !r ||
      r.n !== a.n ||
      r.correct !== a.correct ||
      r.n_samples !== a.n_samples ||
      lat[0] !== a.latency_ms_p50 ||
      lat[1] !== a.latency_ms_p95
    )
      diffs++;
  }
  if (diffs > 0 || raw.length !== api.json.rows.length)
    throw new Error(
      `the API and the raw query disagree: ${diffs} groups differ (${raw.length} vs ${api.json.rows.length} rows)`,
    );
  console.log(
    `  answers checked equal: ${fmt(raw.length)} groups (n, correct, samples, latency p50 and p95)`,
  );
}
