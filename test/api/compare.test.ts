import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import type { CanonicalRecord, Outcome } from '../../core/types.ts';
import { mmluReduxApp, readHelmVerdicts } from '../helpers/mmlu-redux.ts';
import { tmpDir } from '../helpers/tmp.ts';

// Every expected number below is computed here from textbook definitions, never by core/stats.
const SONNET = 'anthropic_claude-3-5-sonnet-20240620';
const GPT4O = 'openai_gpt-4o-2024-05-13';
const OPUS = 'anthropic_claude-3-opus-20240229';
const Z = 1.959963984540054; // Φ⁻¹(0.975)
const Z80 = 0.8416212335729143; // Φ⁻¹(0.8)

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
/** Exact two-sided McNemar p = min(1, 2·Σ_{i≤min(b,c)} C(b+c, i) / 2^(b+c)), by BigInt. */
function mcnemarP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const num = 2n * binomSum(Math.min(b, c), n);
  const den = 2n ** BigInt(n);
  if (num >= den) return 1;
  const scale = 10n ** 60n;
  return Number((num * scale) / den) / 1e60;
}
function holmByDefinition(p: (number | null)[]): (number | null)[] {
  const fam = p.map((v, i) => ({ v, i })).filter((x): x is { v: number; i: number } => x.v !== null);
  fam.sort((a, b) => a.v - b.v);
  const m = fam.length;
  const out: (number | null)[] = p.map(() => null);
  let run = 0;
  fam.forEach(({ v, i }, j) => {
    run = Math.max(run, Math.min(1, (m - j) * v));
    out[i] = run;
  });
  return out;
}
/** Beta(α, β) density on a grid, normalised numerically (no Gamma function needed). */
function betaGrid(alpha: number, beta: number, lo: number, hi: number, N: number) {
  const h = (hi - lo) / N;
  const x: number[] = [];
  const logf: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = lo + (i + 0.5) * h;
    x.push(t);
    logf.push((alpha - 1) * Math.log(t) + (beta - 1) * Math.log(1 - t));
  }
  const mx = Math.max(...logf);
  const f = logf.map((l) => Math.exp(l - mx));
  const tot = f.reduce((s, v) => s + v, 0);
  return { x, w: f.map((v) => v / tot), h };
}
/** P(p_A > p_B) and the 95 % equal-tailed interval of p_A − p_B by brute-force grid integration. */
function bayesByGrid(sa: number, sb: number, n: number) {
  const N = 4000;
  const sd = (s: number) => Math.sqrt(((s + 1) * (n - s + 1)) / ((n + 2) ** 2 * (n + 3)));
  const range = (s: number) => {
    const m = (s + 1) / (n + 2);
    return [Math.max(1e-12, m - 12 * sd(s)), Math.min(1 - 1e-12, m + 12 * sd(s))] as const;
  };
  const [la, ha] = range(sa);
  const [lb, hb] = range(sb);
  const A = betaGrid(sa + 1, n - sa + 1, la, ha, N);
  const B = betaGrid(sb + 1, n - sb + 1, lb, hb, N);
  // CDF of A at any point by linear interpolation of the cumulative masses
  const cumA: number[] = [];
  let acc = 0;
  for (const w of A.w) {
    acc += w;
    cumA.push(acc);
  }
  const FA = (t: number) => {
    if (t <= la) return 0;
    if (t >= ha) return 1;
    const u = (t - la) / A.h;
    const i = Math.min(N - 1, Math.floor(u));
    return (i > 0 ? cumA[i - 1]! : 0) + (u - i) * A.w[i]!; // density constant within a bin
  };
  let pBgtA = 0;
  for (let i = 0; i < N; i++) pBgtA += B.w[i]! * FA(B.x[i]!);
  const cdfD = (d: number) => {
    let s = 0;
    for (let i = 0; i < N; i++) s += B.w[i]! * FA(B.x[i]! + d);
    return s;
  };
  const q = (target: number) => {
    let lo = -1;
    let hi = 1;
    for (let k = 0; k < 60; k++) {
      const mid = (lo + hi) / 2;
      if (cdfD(mid) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return { pAgtB: 1 - pBgtA, ci: [q(0.025), q(0.975)] };
}
/** Textbook two-proportion MDE (Fleiss §4.2, no continuity correction) solved by bisection. */
function mdeByFormula(n: number, p: number): number {
  const up = p <= 0.5;
  const g = (d: number) => {
    const p2 = up ? p + d : p - d;
    const pb = (p + p2) / 2;
    return Z * Math.sqrt((2 * pb * (1 - pb)) / n) + Z80 * Math.sqrt((p * (1 - p) + p2 * (1 - p2)) / n) - d;
  };
  let lo = 0;
  let hi = up ? 1 - p : p;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (g(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}
/** Student t two-sided tail by integrating the density (x = tan θ), normalised numerically. */
function tTwoSided(t: number, df: number): number {
  const dens = (x: number) => (1 + (x * x) / df) ** (-(df + 1) / 2);
  const integrate = (a: number, b: number) => {
    const N = 20000;
    const h = (b - a) / N;
    let s = 0;
    for (let i = 0; i <= N; i++) {
      const th = a + i * h;
      const w = i === 0 || i === N ? 1 : i % 2 ? 4 : 2;
      const c = Math.cos(th);
      s += w * (c === 0 ? 0 : dens(Math.tan(th)) / (c * c));
    }
    return (s * h) / 3;
  };
  const half = Math.PI / 2 - 1e-12;
  return (2 * integrate(Math.atan(Math.abs(t)), half)) / integrate(-half, half);
}
function tQuantile975(df: number): number {
  let lo = 0;
  let hi = 50;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (tTwoSided(mid, df) > 0.05) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
const sdOf = (d: number[]) => {
  const m = d.reduce((s, v) => s + v, 0) / d.length;
  return Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (d.length - 1));
};

interface Row {
  model: string;
  baseline: string;
  overall: boolean;
  groups: Record<string, unknown>;
  n_paired: number;
  only_a: number;
  only_b: number;
  accuracy_a: number | null;
  accuracy_b: number | null;
  diff: number | null;
  testable: boolean;
  reason: string | null;
  method: string | null;
  stderr: number | null;
  stderr_method: string | null;
  ci95: [number, number] | null;
  p_value: number | null;
  p_adjusted: number | null;
  significant: boolean | null;
  discordant: { a_only: number; b_only: number } | null;
  bayes: { prob_a_greater_b: number; diff_mean: number; ci95: [number, number] } | null;
  power: { mde: number | null; mde_paired: number | null; large_enough: boolean } | null;
}

describe('POST /compare on MMLU-Redux (real HELM answers)', () => {
  const csv = readHelmVerdicts();
  const redux = mmluReduxApp();
  const post = (payload: unknown) =>
    redux.app.inject({ method: 'POST', url: '/compare', payload: payload as object });

  /** b, c and the paired outcomes from the CSV, optionally for one subject. */
  function pairs(a: string, b: string, subject?: string) {
    const A = csv.get(a)!;
    const B = csv.get(b)!;
    const out = { n: 0, b: 0, c: 0, sa: 0, sb: 0, onlyA: 0, onlyB: 0, d: [] as number[] };
    for (const [item, x] of A) {
      if (subject && item.split('/')[0] !== subject) continue;
      const y = B.get(item) ?? null;
      if (x !== null && y !== null) {
        out.n++;
        out.sa += x;
        out.sb += y;
        if (x === 1 && y === 0) out.b++;
        if (x === 0 && y === 1) out.c++;
        out.d.push(x - y);
      } else if (x !== null) out.onlyA++;
      else if (y !== null) out.onlyB++;
    }
    return out;
  }

  it('overall: counts, accuracies, diff, CI, exact McNemar, Bayes and power match textbook computations', async () => {
    const res = await post({ benchmark: 'mmlu-redux', models: [SONNET, GPT4O] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.rows).toHaveLength(1);
    const r = body.rows[0] as Row;
    const e = pairs(SONNET, GPT4O);
    expect(r).toMatchObject({ model: SONNET, baseline: GPT4O, overall: true, groups: {}, testable: true });
    expect(r.method).toBe('mcnemar_exact');
    expect(r.n_paired).toBe(e.n);
    expect(r.only_a).toBe(e.onlyA);
    expect(r.only_b).toBe(e.onlyB);
    expect(r.discordant).toEqual({ a_only: e.b, b_only: e.c });
    expect(r.accuracy_a).toBeCloseTo(e.sa / e.n, 14);
    expect(r.accuracy_b).toBeCloseTo(e.sb / e.n, 14);
    expect(r.diff).toBeCloseTo((e.b - e.c) / e.n, 14);
    const se = sdOf(e.d) / Math.sqrt(e.n);
    expect(r.stderr).toBeCloseTo(se, 12);
    expect(r.ci95![0]).toBeCloseTo((e.b - e.c) / e.n - Z * se, 12);
    expect(r.ci95![1]).toBeCloseTo((e.b - e.c) / e.n + Z * se, 12);
    const p = mcnemarP(e.b, e.c);
    expect(Math.abs(r.p_value! - p) / p).toBeLessThan(1e-9);
    expect(r.p_adjusted).toBe(r.p_value); // a family of one
    expect(r.significant).toBe(p < 0.05);
    const g = bayesByGrid(e.sa, e.sb, e.n);
    expect(r.bayes!.prob_a_greater_b).toBeCloseTo(g.pAgtB, 6);
    expect(r.bayes!.diff_mean).toBeCloseTo((e.sa + 1) / (e.n + 2) - (e.sb + 1) / (e.n + 2), 14);
    expect(r.bayes!.ci95[0]).toBeCloseTo(g.ci[0]!, 4);
    expect(r.bayes!.ci95[1]).toBeCloseTo(g.ci[1]!, 4);
    const mde = mdeByFormula(e.n, e.sb / e.n);
    expect(r.power!.mde).toBeCloseTo(mde, 10);
    expect(r.power!.large_enough).toBe(mde <= Math.abs((e.b - e.c) / e.n));
  }, 60_000);

  it('per subject: every row, and Holm across the 57 subjects (overall row not in the family)', async () => {
    const res = await post({ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], level1: 'subject' });
    expect(res.statusCode).toBe(200);
    const rows = res.json().rows as Row[];
    const groups = rows.filter((r) => !r.overall);
    expect(rows[0]!.overall).toBe(true);
    expect(groups).toHaveLength(57);
    const pExpected = groups.map((r) => {
      const e = pairs(SONNET, GPT4O, r.groups.subject as string);
      expect(r.n_paired).toBe(e.n);
      expect(r.discordant).toEqual({ a_only: e.b, b_only: e.c });
      expect(r.diff).toBeCloseTo((e.b - e.c) / e.n, 14);
      const p = mcnemarP(e.b, e.c);
      expect(r.p_value).toBeCloseTo(p, 12);
      const g = bayesByGrid(e.sa, e.sb, e.n);
      expect(r.bayes!.prob_a_greater_b).toBeCloseTo(g.pAgtB, 5);
      expect(r.bayes!.ci95[0]).toBeCloseTo(g.ci[0]!, 4);
      expect(r.bayes!.ci95[1]).toBeCloseTo(g.ci[1]!, 4);
      return p;
    });
    const holm = holmByDefinition(pExpected);
    groups.forEach((r, i) => {
      expect(r.p_adjusted).toBeCloseTo(holm[i]!, 12);
      expect(r.significant).toBe(holm[i]! < 0.05);
    });
    // BH by its definition p̃_(j) = min_{l ≥ j} m·p_(l)/l
    const bh = (
      await post({ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], levels: ['subject'], correction: 'bh' })
    )
      .json()
      .rows.filter((r: Row) => !r.overall) as Row[];
    const m = pExpected.length;
    const order = pExpected.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
    order.forEach(({ i }, j) => {
      const q = Math.min(1, ...order.slice(j).map((o, l) => (m * o.p) / (j + l + 1)));
      expect(bh[i]!.p_adjusted).toBeCloseTo(q, 12);
    });
  }, 60_000);

  it('several models against a baseline: one row per (model, group), corrected together', async () => {
    const res = await post({
      benchmark: 'mmlu-redux',
      models: [SONNET, GPT4O, OPUS],
      baseline: GPT4O,
      levels: ['subject'],
      filters: { subject: ['anatomy', 'virology'] },
      bayes: false,
    });
    expect(res.statusCode).toBe(200);
    const rows = res.json().rows as Row[];
    expect(rows.map((r) => [r.model, r.overall, r.groups.subject ?? null])).toEqual([
      [SONNET, true, null],
      [SONNET, false, 'anatomy'],
      [SONNET, false, 'virology'],
      [OPUS, true, null],
      [OPUS, false, 'anatomy'],
      [OPUS, false, 'virology'],
    ]);
    expect(rows.every((r) => r.baseline === GPT4O && r.bayes === null)).toBe(true);
    const grp = rows.filter((r) => !r.overall);
    const p = grp.map((r) => {
      const e = pairs(r.model, GPT4O, r.groups.subject as string);
      return mcnemarP(e.b, e.c);
    });
    const holm = holmByDefinition(p);
    grp.forEach((r, i) => {
      expect(r.p_adjusted).toBeCloseTo(holm[i]!, 12);
    });
    const over = rows.filter((r) => r.overall);
    const po = over.map((r) => {
      const a = pairs(r.model, GPT4O, 'anatomy');
      const v = pairs(r.model, GPT4O, 'virology');
      return mcnemarP(a.b + v.b, a.c + v.c);
    });
    const holmO = holmByDefinition(po);
    over.forEach((r, i) => {
      expect(r.p_adjusted).toBeCloseTo(holmO[i]!, 12);
    });
  }, 60_000);

  it('bad input: 400 with what is allowed, 404 for unknown names', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ benchmark: 'mmlu-redux', models: [SONNET] }, 400, /models/],
      [
        { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], baseline: OPUS },
        400,
        /baseline .* is not among models/,
      ],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O, OPUS] }, 400, /name one of them as baseline/],
      [{ benchmark: 'mmlu-redux', models: [SONNET, SONNET] }, 400, /repeat/],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], extra: 1 }, 400, /extra|unrecognized/i],
      [
        { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], levels: ['subjekt'] },
        400,
        /valid fields: subject, category, error_type/,
      ],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], levels: ['subject', 'subject'] }, 400, /repeat/],
      [
        { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], filters: { nope: ['x'] } },
        400,
        /unknown filter field/,
      ],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], correction: 'bonferroni' }, 400, /correction/],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], alpha: 1.5 }, 400, /alpha/],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], engine: 'mysql' }, 400, /MYSQL_URL/],
      [{ benchmark: 'nope', models: [SONNET, GPT4O] }, 404, /unknown benchmark "nope"; known: mmlu-redux/],
      [{ benchmark: 'mmlu-redux', models: [SONNET, 'gpt-5'] }, 404, /unknown model "gpt-5"; known: /],
      [{ benchmark: 'mmlu-redux', models: [SONNET, GPT4O], runs: ['nope'] }, 404, /unknown run/],
    ];
    for (const [payload, status, message] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().message, JSON.stringify(payload)).toMatch(message);
    }
  });
});

/** Hand-made data for the edges; outcomes per (model, item) spelled out, so the expectations are countable. */
function rec(
  benchmark: string,
  model: string,
  item: string,
  meta: Record<string, string>,
  outcome: Outcome,
  sample = 0,
  score?: number,
): CanonicalRecord {
  const correct = outcome === 'correct' ? true : outcome === 'incorrect' ? false : null;
  return {
    benchmark,
    model,
    run: 'r1',
    item_id: item,
    sample,
    outcome,
    correct,
    score: score ?? (correct === null ? null : correct ? 1 : 0),
    metadata: meta,
    answer: null,
    latency_ms: 10,
    tokens_in: 1,
    tokens_out: 1,
    cost_usd: 0,
    error: outcome === 'error' ? 'boom' : null,
  } as CanonicalRecord;
}

describe('POST /compare edge cases (hand-made data)', () => {
  const tmp = tmpDir();
  let ctx: AppContext;
  let app: FastifyInstance;
  const C: Outcome = 'correct';
  const W: Outcome = 'incorrect';
  beforeAll(async () => {
    ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/e.duckdb`, DEMO_DATA: 'off' }), {
      mirrorLoop: false,
    });
    const r: CanonicalRecord[] = [];
    const put = (
      g: string,
      i: number,
      a: Outcome | null,
      b: Outcome | null,
      extra: Record<string, string> = {},
    ) => {
      const meta = { g, passage: `p${Math.floor(i / 3)}`, ...extra };
      if (a) r.push(rec('edge', 'A', `${g}/${i}`, meta, a));
      if (b) r.push(rec('edge', 'B', `${g}/${i}`, meta, b));
    };
    // n = 0: only A answered; B has an error (errors never count) or nothing
    put('n0', 0, C, 'error');
    put('n0', 1, W, null);
    put('n0', 2, null, C);
    // n = 1
    put('n1', 0, C, W);
    // all correct / all wrong / identical (no discordant pairs)
    for (let i = 0; i < 6; i++) put('allright', i, C, C);
    for (let i = 0; i < 6; i++) put('allwrong', i, W, W);
    // ties: b = c = 3, plus 4 concordant
    for (let i = 0; i < 3; i++) put('ties', i, C, W);
    for (let i = 3; i < 6; i++) put('ties', i, W, C);
    for (let i = 6; i < 10; i++) put('ties', i, C, C);
    // unscored answers: excluded, or wrong when asked
    put('unscored', 0, 'unscored', C);
    put('unscored', 1, C, C);
    put('unscored', 2, C, W);
    await ctx.record.ingest(r);
    // several samples per item → paired t-test
    const m: CanonicalRecord[] = [];
    const pattern: [number, number][] = [
      [3, 1],
      [2, 2],
      [3, 0],
      [1, 1],
      [2, 0],
      [0, 1],
      [3, 3],
      [2, 1],
    ];
    pattern.forEach(([ca, cb], i) => {
      for (let s = 0; s < 3; s++) {
        m.push(rec('multi', 'A', `q${i}`, { g: 'x' }, s < ca ? C : W, s));
        m.push(rec('multi', 'B', `q${i}`, { g: 'x' }, s < cb ? C : W, s));
      }
    });
    await ctx.record.ingest(m);
    app = await buildApp(ctx);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    tmp.cleanup();
  });
  const post = async (payload: Record<string, unknown>) => {
    const res = await app.inject({
      method: 'POST',
      url: '/compare',
      payload: { models: ['A', 'B'], ...payload },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { rows: Row[]; meta: Record<string, unknown>; excluded_items: number };
  };
  const byGroup = (rows: Row[]) =>
    new Map(rows.filter((r) => !r.overall).map((r) => [r.groups.g as string, r]));

  it('n = 0 and n = 1 are untestable with a reason; errors never count', async () => {
    const g = byGroup((await post({ benchmark: 'edge', levels: ['g'] })).rows);
    const n0 = g.get('n0')!;
    expect(n0).toMatchObject({
      n_paired: 0,
      only_a: 2,
      only_b: 1,
      testable: false,
      p_value: null,
      ci95: null,
    });
    expect(n0.accuracy_a).toBeNull();
    expect(n0.p_adjusted).toBeNull();
    expect(n0.significant).toBeNull();
    expect(n0.reason).toMatch(/at least 2 items/);
    const n1 = g.get('n1')!;
    expect(n1).toMatchObject({
      n_paired: 1,
      testable: false,
      accuracy_a: 1,
      accuracy_b: 0,
      diff: 1,
      p_value: null,
    });
  });

  it('all correct, all wrong, no discordant pairs, ties: p = 1, CI [0, 0] or the textbook interval', async () => {
    const g = byGroup((await post({ benchmark: 'edge', levels: ['g'] })).rows);
    for (const name of ['allright', 'allwrong']) {
      const r = g.get(name)!;
      expect(r).toMatchObject({ n_paired: 6, testable: true, method: 'mcnemar_exact', diff: 0, p_value: 1 });
      expect(r.ci95).toEqual([0, 0]);
      expect(r.discordant).toEqual({ a_only: 0, b_only: 0 });
      expect(r.bayes!.prob_a_greater_b).toBeCloseTo(0.5, 10); // identical posteriors
      expect(r.bayes!.ci95[0]).toBeCloseTo(-r.bayes!.ci95[1], 4);
    }
    // Beta(7, 1): the MDE for a baseline of 1 is solved towards ½ (1 − δ)
    expect(g.get('allright')!.power!.mde).toBeCloseTo(mdeByFormula(6, 1), 10);
    const ties = g.get('ties')!;
    expect(ties).toMatchObject({ n_paired: 10, diff: 0, p_value: 1, discordant: { a_only: 3, b_only: 3 } });
    const se = sdOf([1, 1, 1, -1, -1, -1, 0, 0, 0, 0]) / Math.sqrt(10);
    expect(ties.ci95![0]).toBeCloseTo(-Z * se, 12);
    expect(ties.ci95![1]).toBeCloseTo(Z * se, 12);
    // the family: holm over the testable groups only (allright, allwrong, ties, unscored: p's 1, 1, 1, 1)
    expect(ties.p_adjusted).toBe(1);
  });

  it('unscored: excluded (unpaired) or counted wrong', async () => {
    const ex = byGroup((await post({ benchmark: 'edge', levels: ['g'] })).rows).get('unscored')!;
    expect(ex).toMatchObject({ n_paired: 2, only_b: 1, accuracy_a: 1, accuracy_b: 0.5 });
    const wr = byGroup((await post({ benchmark: 'edge', levels: ['g'], unscored: 'wrong' })).rows).get(
      'unscored',
    )!;
    expect(wr).toMatchObject({ n_paired: 3, only_b: 0, discordant: { a_only: 1, b_only: 1 } });
    expect(wr.accuracy_a).toBeCloseTo(2 / 3, 14);
  });

  it('several samples per item: paired t-test on item means, t interval', async () => {
    const r = (await post({ benchmark: 'multi' })).rows[0]!;
    const pattern = [
      [3, 1],
      [2, 2],
      [3, 0],
      [1, 1],
      [2, 0],
      [0, 1],
      [3, 3],
      [2, 1],
    ];
    const d = pattern.map(([a, b]) => a! / 3 - b! / 3);
    const n = d.length;
    const mean = d.reduce((s, v) => s + v, 0) / n;
    const se = sdOf(d) / Math.sqrt(n);
    expect(r).toMatchObject({ method: 'paired_t', n_paired: 8, testable: true, bayes: null });
    expect(r.diff).toBeCloseTo(mean, 14);
    expect(r.stderr).toBeCloseTo(se, 14);
    expect(r.p_value).toBeCloseTo(tTwoSided(mean / se, n - 1), 6);
    const q = tQuantile975(n - 1);
    expect(r.ci95![0]).toBeCloseTo(mean - q * se, 6);
    expect(r.ci95![1]).toBeCloseTo(mean + q * se, 6);
  });

  it('clustered standard errors when the benchmark declares a cluster field', async () => {
    await ctx.duck.write(async () => {
      await ctx.duck.db.run("UPDATE benchmarks SET cluster_field = 'passage' WHERE slug = 'edge'");
    });
    const body = await post({ benchmark: 'edge', filters: { g: ['ties', 'unscored', 'allright'] } });
    expect(body.meta.cluster_field).toBe('passage');
    expect(body.meta.stderr_method).toMatch(/clustered on "passage"/);
    const r = body.rows[0]!;
    expect(r.stderr_method).toBe('clustered');
    // the paired items in item-id order, with their passage (item i of group g is in passage p⌊i/3⌋)
    const items: { d: number; c: string }[] = [];
    const add = (_group: string, i: number, d: number) => items.push({ d, c: `p${Math.floor(i / 3)}` });
    for (let i = 0; i < 6; i++) add('allright', i, 0);
    for (let i = 0; i < 10; i++) add('ties', i, i < 3 ? 1 : i < 6 ? -1 : 0);
    add('unscored', 1, 0);
    add('unscored', 2, 1);
    const n = items.length;
    const mean = items.reduce((s, x) => s + x.d, 0) / n;
    let cross = 0; // Σ_c Σ_i Σ_{j≠i} e_i e_j, by the double loop
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (i !== j && items[i]!.c === items[j]!.c) cross += (items[i]!.d - mean) * (items[j]!.d - mean);
    const se2 = sdOf(items.map((x) => x.d)) ** 2 / n + cross / (n * n);
    expect(r.n_paired).toBe(n);
    expect(r.stderr).toBeCloseTo(Math.sqrt(se2), 12);
    expect(r.ci95![0]).toBeCloseTo(mean - Z * Math.sqrt(se2), 12);
  });
});
