import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { bigRatio as ratio } from '../../core/stats/testing/exact.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

// Every expected figure below is computed here from the records written, never by core/stats.
const SONNET = 'anthropic_claude-3-5-sonnet-20240620';
const GPT4O = 'openai_gpt-4o-2024-05-13';
const Z = 1.959963984540054;
const Z80 = 0.8416212335729143;

interface Row {
  overall: boolean;
  model: string;
  groups: Record<string, string>;
  n_paired: number;
  diff: number;
  ci95: [number, number];
  p_value: number;
  discordant: { a_only: number; b_only: number };
  paired_bayes: {
    prior: number;
    prob_model_better: number;
    diff_mean: number;
    ci95: [number, number];
    expected_loss_model: number;
    expected_loss_baseline: number;
  };
  sample_size: { discordance: number; n_needed: number | null; large_enough: boolean };
  p_adjusted: number;
  [k: string]: unknown;
}

interface Rec {
  benchmark: string;
  model: string;
  run: string;
  item_id: string;
  correct: boolean | null;
  metadata: Record<string, string>;
}

/** Σ_{i≤k} C(n, i) exactly. */
function binomSum(k: number, n: number): bigint {
  let c = 1n;
  let s = 0n;
  for (let i = 0; i <= k; i++) {
    s += c;
    c = (c * BigInt(n - i)) / BigInt(i + 1);
  }
  return s;
}
/** Exact two-sided McNemar p by BigInt. */
function mcnemarP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const num = 2n * binomSum(Math.min(b, c), n);
  const den = 2n ** BigInt(n);
  return num >= den ? 1 : ratio(num, den);
}
/**
 * P(p_onlyB > p_onlyA) under the Dirichlet(1 + counts) posterior. With u = p_onlyB/(p_onlyA + p_onlyB) ~
 * Beta(1 + onlyB, 1 + onlyA): P(u > ½) = P(Bin(onlyA + onlyB + 1, ½) ≤ onlyB), exactly by BigInt.
 */
function probBBetter(onlyA: number, onlyB: number): number {
  const m = onlyA + onlyB + 1;
  return ratio(binomSum(onlyB, m), 2n ** BigInt(m));
}
/** E[max(0, p_A − p_B)]: E[s]·∫₀^½ (1 − 2u) Beta(u; 1 + onlyB, 1 + onlyA) du by Simpson on log densities. */
function lossOfB(t: { both: number; onlyA: number; onlyB: number; neither: number }): number {
  const a = 1 + t.onlyB;
  const b = 1 + t.onlyA;
  const lnf = (x: number) => (a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x);
  const N = 200_000;
  let mx = -Infinity;
  for (let i = 1; i < N; i++) mx = Math.max(mx, lnf(i / N));
  let tot = 0;
  let part = 0;
  for (let i = 1; i < N; i++) {
    const x = i / N;
    const w = (i % 2 ? 4 : 2) * Math.exp(lnf(x) - mx);
    tot += w;
    if (x < 0.5) part += w * (1 - 2 * x);
    else if (x === 0.5) part += 0;
  }
  const total = 4 + t.both + t.onlyA + t.onlyB + t.neither;
  return ((2 + t.onlyA + t.onlyB) / total) * (part / tot);
}

describe('POST /compare with runs: an A/B test of two runs of one model on MMLU-Redux (both engines)', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ctx: AppContext;
  let app: FastifyInstance;
  const arms = new Map<string, Map<string, 0 | 1 | null>>(); // run label → item → verdict
  const meta = new Map<string, Record<string, string>>();
  const runId: Record<string, number> = {};
  beforeAll(async () => {
    // the real HELM answers of two models, plus a second run of Sonnet ("rerun") whose verdict is flipped on
    // every seventh item and made unscored on every 50th: a known, countable difference
    const keep = new Set([SONNET, GPT4O]);
    const recs = gunzipSync(readFileSync('demo/mmlu-redux.jsonl.gz'))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Rec)
      .filter((r) => keep.has(r.model));
    const rerun = recs
      .filter((r) => r.model === SONNET)
      .map((r, i) => ({
        ...r,
        run: 'rerun',
        correct: i % 50 === 3 ? null : i % 7 === 0 && r.correct !== null ? !r.correct : r.correct,
      }));
    const other = [0, 1, 2].map((i) => ({
      benchmark: 'other-bench',
      model: SONNET,
      run: 'o1',
      item_id: `o${i}`,
      correct: i > 0,
      metadata: {},
    }));
    const all = [...recs, ...rerun, ...other];
    for (const r of [...recs, ...rerun]) {
      const key = r.run === 'rerun' ? 'rerun' : r.model;
      const m = arms.get(key) ?? new Map();
      arms.set(key, m);
      m.set(r.item_id, r.correct === null ? null : r.correct ? 1 : 0);
      meta.set(r.item_id, r.metadata);
    }
    writeFileSync(`${tmp.dir}/ab.jsonl`, `${all.map((r) => JSON.stringify(r)).join('\n')}\n`);
    db = await createTestDatabase('ab');
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/ab.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'off',
        MYSQL_URL: db.url,
        MYSQL_POOL_SIZE: '4',
      }),
      { mirrorLoop: false },
    );
    await importFile(ctx.record, `${tmp.dir}/ab.jsonl`, { format: 'canonical' });
    // The stored prompt versions these runs were made with: Sonnet's HELM run and GPT-4o's with qa@1, the rerun
    // with qa@2. Set on the record store's runs columns (what the runner writes for `--prompt`; a direct UPDATE
    // until the runner's prompt option is merged), then mirrored like any run change.
    const set = 'UPDATE runs SET prompt_name = ?, prompt_version = ? WHERE label = ?';
    await ctx.mysql!.db.run(set, ['qa', 1, 'helm-5shot']);
    await ctx.mysql!.db.run(set, ['qa', 2, 'rerun']);
    await ctx.syncMirror();
    app = await buildApp(ctx);
    const runs = (await app.inject({ method: 'GET', url: '/runs?limit=100' })).json().runs as {
      id: number;
      label: string;
      model: string;
      benchmark: string;
    }[];
    for (const r of runs) {
      runId[r.benchmark === 'other-bench' ? 'other' : r.label === 'rerun' ? 'rerun' : r.model] = r.id;
    }
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const post = (payload: object) => app.inject({ method: 'POST', url: '/compare', payload });

  /** The paired 2×2 table of arm B against the baseline A, from the written records (optionally one category). */
  function table(A: string, B: string, category?: string) {
    const a = arms.get(A)!;
    const b = arms.get(B)!;
    const t = { n: 0, both: 0, onlyA: 0, onlyB: 0, neither: 0, d: [] as number[] };
    for (const [item, x] of a) {
      if (category && meta.get(item)!.category !== category) continue;
      const y = b.get(item) ?? null;
      if (x === null || y === null) continue;
      t.n++;
      if (x && y) t.both++;
      else if (x) t.onlyA++;
      else if (y) t.onlyB++;
      else t.neither++;
      t.d.push(y - x);
    }
    return t;
  }

  function check(r: Row, t: ReturnType<typeof table>) {
    expect(r.n_paired).toBe(t.n);
    // the row's model is B (the rerun), its baseline A: a_only = only the model right
    expect(r.discordant).toEqual({ a_only: t.onlyB, b_only: t.onlyA });
    const diff = (t.onlyB - t.onlyA) / t.n;
    expect(r.diff).toBeCloseTo(diff, 14);
    const m = diff;
    const sd = Math.sqrt(t.d.reduce((s, v) => s + (v - m) ** 2, 0) / (t.n - 1));
    expect(r.ci95[0]).toBeCloseTo(diff - (Z * sd) / Math.sqrt(t.n), 12);
    expect(r.ci95[1]).toBeCloseTo(diff + (Z * sd) / Math.sqrt(t.n), 12);
    const p = mcnemarP(t.onlyB, t.onlyA);
    expect(Math.abs(r.p_value - p)).toBeLessThanOrEqual(1e-9 * p);
    const pb = r.paired_bayes;
    expect(pb.prior).toBe(1);
    expect(Math.abs(pb.prob_model_better - probBBetter(t.onlyA, t.onlyB))).toBeLessThan(1e-9);
    const total = t.n + 4;
    expect(pb.diff_mean).toBeCloseTo((t.onlyB - t.onlyA) / total, 14);
    expect(pb.expected_loss_model).toBeCloseTo(lossOfB(t), 6);
    expect(pb.expected_loss_baseline - pb.expected_loss_model).toBeCloseTo(pb.diff_mean, 12);
    // the interval against mean ± z·sd with the exact Dirichlet variance of δ (near normal at these counts)
    const x = 1 + t.onlyA;
    const y = 1 + t.onlyB;
    const psd = Math.sqrt((x * (total - x) + y * (total - y) + 2 * x * y) / (total * total * (total + 1)));
    expect(Math.abs(pb.ci95[0] - (pb.diff_mean - Z * psd))).toBeLessThan(0.06 * psd);
    expect(Math.abs(pb.ci95[1] - (pb.diff_mean + Z * psd))).toBeLessThan(0.06 * psd);
    // McNemar sample size for target 0.05 at 80 % power (Connor 1987), with the observed discordance
    const psi = (t.onlyA + t.onlyB) / t.n;
    const need =
      psi < 0.05 ? null : Math.ceil((Z * Math.sqrt(psi) + Z80 * Math.sqrt(psi - 0.0025)) ** 2 / 0.0025);
    expect(r.sample_size.discordance).toBeCloseTo(psi, 14);
    expect(r.sample_size.n_needed).toBe(need);
    expect(r.sample_size.large_enough).toBe(need !== null && t.n >= need);
  }

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`${engine}: overall and per category, every paired figure equals the computation from the records`, async () => {
      const res = await post({ runs: [runId[SONNET], runId.rerun], level1: 'category', engine });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.mode).toBe('runs');
      expect(body.benchmark).toBe('mmlu-redux');
      expect(body.baseline).toBe(`#${runId[SONNET]} helm-5shot`);
      expect(body.arms).toEqual([
        {
          name: `#${runId[SONNET]} helm-5shot`,
          run_ids: [runId[SONNET]],
          models: [SONNET],
          prompt_version: null,
        },
        { name: `#${runId.rerun} rerun`, run_ids: [runId.rerun], models: [SONNET], prompt_version: null },
      ]);
      const rows = body.rows as Row[];
      expect(rows[0]!.overall).toBe(true);
      expect(rows[0]!.model).toBe(`#${runId.rerun} rerun`);
      check(rows[0]!, table(SONNET, 'rerun'));
      const cats = [...new Set([...meta.values()].map((m) => m.category))].sort();
      expect(rows.slice(1).map((r) => r.groups.category)).toEqual(cats);
      for (const r of rows.slice(1)) check(r, table(SONNET, 'rerun', r.groups.category));
      // the flips make the rerun differ: the exact test sees it
      expect(rows[0]!.p_value).toBeLessThan(0.05);
    }, 120_000);
  }

  it('three runs: each later run against the first, Holm over the two overall rows', async () => {
    const res = await post({ runs: [runId[SONNET], runId.rerun, runId[GPT4O]] });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.models).toEqual([
      `#${runId[SONNET]} helm-5shot`,
      `#${runId.rerun} rerun`,
      `#${runId[GPT4O]} helm-5shot`,
    ]);
    const rows = body.rows as Row[];
    expect(rows.map((r) => r.model)).toEqual([`#${runId.rerun} rerun`, `#${runId[GPT4O]} helm-5shot`]);
    check(rows[0]!, table(SONNET, 'rerun'));
    check(rows[1]!, table(SONNET, GPT4O));
    // Holm over a family of two: the smaller p doubled, the larger max(smaller·2, larger)
    const [p0, p1] = [rows[0]!.p_value, rows[1]!.p_value];
    const lo = Math.min(1, 2 * Math.min(p0, p1));
    const hi = Math.max(lo, Math.max(p0, p1));
    expect(rows[p0 <= p1 ? 0 : 1]!.p_adjusted).toBeCloseTo(lo, 14);
    expect(rows[p0 <= p1 ? 1 : 0]!.p_adjusted).toBeCloseTo(hi, 14);
  }, 60_000);

  it('two runs of different models give the model comparison (same pairs, same figures)', async () => {
    const byRuns = (await post({ runs: [runId[GPT4O], runId[SONNET]] })).json();
    // models mode would average Sonnet's two runs per item: narrow it to the same two runs
    const byModels = (
      await post({ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], runs: [runId[SONNET], runId[GPT4O]] })
    ).json();
    const [r, m] = [byRuns.rows[0], byModels.rows[0]];
    for (const k of [
      'n_paired',
      'diff',
      'ci95',
      'p_value',
      'discordant',
      'bayes',
      'paired_bayes',
      'sample_size',
    ])
      expect(r[k]).toEqual(m[k]);
    check(r, table(GPT4O, SONNET));
  }, 60_000);

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`${engine}: prompt_versions qa@1 vs qa@2 by Sonnet resolve to its two runs, with the same figures`, async () => {
      const res = await post({
        prompt_versions: ['qa@1', 'qa@2'],
        model: SONNET,
        benchmark: 'mmlu-redux',
        level1: 'category',
        engine,
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.mode).toBe('prompt_versions');
      expect(body.models).toEqual(['qa@1', 'qa@2']);
      expect(body.baseline).toBe('qa@1');
      expect(body.arms.map((a: { run_ids: number[] }) => a.run_ids)).toEqual([
        [runId[SONNET]],
        [runId.rerun],
      ]);
      expect(body.arms.map((a: { prompt_version: string }) => a.prompt_version)).toEqual(['qa@1', 'qa@2']);
      const rows = body.rows as Row[];
      expect(rows[0]!.model).toBe('qa@2');
      check(rows[0]!, table(SONNET, 'rerun'));
      for (const r of rows.slice(1)) check(r, table(SONNET, 'rerun', r.groups.category));
      // the same answer as naming the runs, arm names aside
      const byRuns = (await post({ runs: [runId[SONNET], runId.rerun], level1: 'category', engine })).json();
      const strip = (rs: Row[]) => rs.map(({ model: _m, baseline: _b, ...rest }) => rest);
      expect(strip(rows)).toEqual(strip(byRuns.rows));
    }, 120_000);
  }

  it('prompt_versions: 400 for a version with no run, and for one that resolves to several runs', async () => {
    const none = await post({ prompt_versions: ['qa@1', 'qa@9'], model: SONNET });
    expect(none.statusCode).toBe(400);
    expect(none.json().message).toMatch(/no run was made with prompt version qa@9/);
    expect(none.json().details.versions_with_runs.sort()).toEqual(['qa@1', 'qa@2']);
    // qa@1 was used by Sonnet and by GPT-4o: ambiguous without a model
    const amb = await post({ prompt_versions: ['qa@1', 'qa@2'] });
    expect(amb.statusCode).toBe(400);
    expect(amb.json().message).toMatch(/qa@1 resolves to 2 runs/);
    expect(
      amb
        .json()
        .details.runs.map((r: { model: string }) => r.model)
        .sort(),
    ).toEqual([SONNET, GPT4O].sort());
    const unknownModel = await post({ prompt_versions: ['qa@1', 'qa@2'], model: 'nope' });
    expect(unknownModel.statusCode).toBe(400);
    const modelAlone = await post({ runs: [runId[SONNET], runId.rerun], model: SONNET });
    expect(modelAlone.statusCode).toBe(400);
    expect(modelAlone.json().message).toMatch(/model goes with prompt_versions only/);
  }, 60_000);

  it('clear 400s: unknown run, different benchmarks, fewer than two, ambiguous label, mixed modes', async () => {
    const cases: [object, RegExp][] = [
      [{ runs: [runId[SONNET], 987654] }, /unknown run 987654/],
      [{ runs: [runId[SONNET], runId.other] }, /different benchmarks/],
      [{ runs: [runId[SONNET]] }, /at least two runs/],
      [{ runs: [runId[SONNET], runId[SONNET]] }, /repeat/],
      [{ runs: ['helm-5shot', runId.rerun] }, /names 2 runs/],
      [{ runs: [runId[SONNET], runId.rerun], baseline: SONNET }, /first arm is the baseline/],
      [{ runs: [runId[SONNET], runId.rerun], benchmark: 'other-bench' }, /not "other-bench"/],
      [{ prompt_versions: ['p@1', 'p@2'], runs: [1, 2] }, /exactly one of/],
      [{ prompt_versions: ['p@1', 'p'] }, /name@number/],
      [{}, /give models/],
      [{ models: [SONNET, GPT4O] }, /models need a benchmark/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.statusCode, `${JSON.stringify(body)} → ${res.body}`).toBe(400);
      expect(res.json().message).toMatch(message);
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    }
  }, 60_000);
});
