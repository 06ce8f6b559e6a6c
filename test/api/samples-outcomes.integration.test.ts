import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../../ingest/import-file.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

/**
 * Issue 10's acceptance: real repeated samples (pass@k) and real unscored answers (MMLU-Redux's
 * macro over subjects), each number checked against a computation written here from the formula.
 */
let fx: ApiFixture;
const tmp = tmpDir();
const ENGINES = ['duckdb', 'mysql'] as const;

// ---- independent computations -------------------------------------------------------------
/** C(n, k) exactly, with BigInt. */
function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}
/** Chen et al. 2021: pass@k = 1 − C(n−c, k) / C(n, k). */
const passAtK = (n: number, c: number, k: number) => 1 - Number(choose(n - c, k)) / Number(choose(n, k));
function meanSe(xs: number[]) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

interface MathProblem {
  idx: number;
  level: string;
  score: boolean[];
  pred: string[];
}
const mathFile = `${SHARED_DATA}model_outputs/math_cot_100.jsonl`;
const problems: MathProblem[] = readFileSync(mathFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

beforeAll(async () => {
  fx = await openApiFixture({ records: [] });
  const s = await importFile(fx.ctx.record, mathFile);
  expect(s).toMatchObject({ format: 'qwen-math', rows: 800, runs: 1, committed: true });
  // MMLU-Redux: the published per-item results, joined with the items' subject and error label
  const items = new Map<string, { subject: string; error_type: string }>();
  for (const l of readFileSync(`${SHARED_DATA}mmlu_redux/items.jsonl`, 'utf8').split('\n').filter(Boolean)) {
    const it = JSON.parse(l);
    items.set(it.item_id, { subject: it.subject, error_type: it.error_type });
  }
  const lines = ['benchmark,model,run,item_id,correct,answer,meta.subject,meta.error_type'];
  for (const l of readFileSync(`${SHARED_DATA}mmlu_redux/results.csv`, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)) {
    const [model, item, predicted, correct] = l.split(',');
    const it = items.get(item!)!;
    lines.push(`mmlu-redux,${model},helm,${item},${correct},${predicted},${it.subject},${it.error_type}`);
  }
  writeFileSync(`${tmp.dir}/redux.csv`, `${lines.join('\n')}\n`);
  const r = await importFile(fx.ctx.record, `${tmp.dir}/redux.csv`);
  expect(r).toMatchObject({ format: 'canonical', rows: 79_800, committed: true });
  await fx.ctx.syncMirror();
}, 240_000);
afterAll(async () => {
  await fx?.close();
  tmp.cleanup();
});

const post = async (body: object) => {
  const res = await fx.app.inject({ method: 'POST', url: '/analysis', payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe('repeated samples: math_cot_100 (8 samples of 100 MATH problems)', () => {
  for (const engine of ENGINES) {
    it(`${engine}: pass@1, pass@4, pass@8 and accuracy per level equal the formula`, async () => {
      const body = await post({
        benchmark: 'math',
        levels: ['level'],
        pass_at: [1, 4, 8],
        maj_at: [8],
        engine,
      });
      const levels = [...new Set(problems.map((p) => Number(p.level.replace('Level ', ''))))].sort();
      expect(body.rows.map((r: { groups: { level: number } }) => r.groups.level)).toEqual(levels);
      for (const row of body.rows) {
        const ps = problems.filter((p) => p.level === `Level ${row.groups.level}`);
        expect(row.n_items).toBe(ps.length);
        expect(row.n_samples).toBe(ps.length * 8);
        const acc = meanSe(ps.map((p) => p.score.filter(Boolean).length / 8));
        expect(row.accuracy).toBeCloseTo(acc.mean, 12);
        expect(row.stderr).toBeCloseTo(acc.se, 12);
        for (const k of [1, 4, 8]) {
          const want = meanSe(ps.map((p) => passAtK(8, p.score.filter(Boolean).length, k)));
          expect(row[`pass@${k}`].value).toBeCloseTo(want.mean, 12);
          expect(row[`pass@${k}`].stderr).toBeCloseTo(want.se, 12);
          expect(row[`pass@${k}`].n).toBe(ps.length);
        }
        // maj@8: the most frequent extracted answer (first seen wins a tie), right if that answer was graded right
        const maj = ps.map((p) => {
          const votes = new Map<string, number>();
          for (const a of p.pred) if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
          let best: string | null = null;
          for (const [a, n] of votes) if (best === null || n > votes.get(best)!) best = a;
          return best === null ? 0 : p.score[p.pred.indexOf(best)] ? 1 : 0;
        });
        expect(row['maj@8'].value).toBeCloseTo(
          maj.reduce((a: number, b: number) => a + b, 0) / maj.length,
          12,
        );
      }
    });
  }

  it('maj@k votes over the first k scored samples, whatever other k the request asks for', async () => {
    // one item, 8 samples, sample 3 unscored; B is the right answer. First 4 scored samples: A B B B → B wins.
    const answers = ['A', 'B', 'B', 'X', 'B', 'A', 'A', 'A'];
    await fx.ctx.record.ingest(
      answers.map((answer, sample) => ({
        benchmark: 'maj-unscored',
        model: 'm',
        run: 'r',
        item_id: 'q1',
        sample,
        answer,
        outcome: sample === 3 ? 'unscored' : answer === 'B' ? 'correct' : 'incorrect',
        correct: sample === 3 ? null : answer === 'B',
        metadata: {},
      })) as never,
    );
    await fx.ctx.syncMirror();
    for (const engine of ENGINES) {
      const alone = (await post({ benchmark: 'maj-unscored', levels: [], maj_at: [4], engine })).rows[0];
      const both = (await post({ benchmark: 'maj-unscored', levels: [], maj_at: [4, 8], engine })).rows[0];
      expect(alone['maj@4'], engine).toMatchObject({ n: 1, value: 1, too_few_samples: 0 });
      expect(both['maj@4'], engine).toEqual(alone['maj@4']);
      // 7 scored samples: too few for maj@8
      expect(both['maj@8'], engine).toMatchObject({ n: 0, value: null, too_few_samples: 1 });
    }
  });

  it('counts items with fewer than k samples apart', async () => {
    const body = await post({ benchmark: 'math', levels: ['level'], pass_at: [9] });
    for (const row of body.rows) {
      expect(row['pass@9']).toMatchObject({ n: 0, value: null, too_few_samples: row.n_items });
    }
  });
});

describe('unscored answers and macro averages: MMLU-Redux published results', () => {
  const csv = readFileSync(`${SHARED_DATA}mmlu_redux/results.csv`, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean);
  const itemLabel = new Map<string, string>();
  for (const l of readFileSync(`${SHARED_DATA}mmlu_redux/items.jsonl`, 'utf8').split('\n').filter(Boolean)) {
    const it = JSON.parse(l);
    itemLabel.set(it.item_id, it.error_type);
  }
  /** The paper's scoring: mean over subjects of per-subject accuracy, "" counted wrong. */
  function paperMacro(model: string, okOnly = false) {
    const bySubject = new Map<string, { n: number; c: number }>();
    for (const l of csv) {
      const [m, item, , correct] = l.split(',');
      if (m !== model || (okOnly && itemLabel.get(item!) !== 'ok')) continue;
      const s = item!.split('/')[0]!;
      const e = bySubject.get(s) ?? { n: 0, c: 0 };
      e.n++;
      e.c += correct === '1' ? 1 : 0;
      bySubject.set(s, e);
    }
    return bySubject;
  }
  const models = [...new Set(csv.map((l) => l.split(',')[0]!))];

  for (const engine of ENGINES) {
    it(`${engine}: macro over subject with unscored counted wrong equals the paper's overall figures`, async () => {
      const body = await post({ benchmark: 'mmlu-redux', levels: ['subject'], unscored: 'wrong', engine });
      expect(body.totals.length).toBe(14);
      const total = (m: string) => body.totals.find((t: { model: string }) => t.model === m);
      expect(total('anthropic_claude-3-5-sonnet-20240620').macro.accuracy).toBeCloseTo(
        0.8647368421052631,
        12,
      );
      expect(total('openai_gpt-4o-2024-05-13').macro.accuracy).toBeCloseTo(0.8400000000000001, 12);
      for (const m of models) {
        const subjects = [...paperMacro(m).values()].map((s) => s.c / s.n);
        expect(total(m).macro.accuracy).toBeCloseTo(
          subjects.reduce((a, b) => a + b, 0) / subjects.length,
          12,
        );
        expect(total(m).macro.groups).toBe(57);
        // macro stderr: √(Σ se²) / G with each subject's lm-eval stderr
        const ses = [...paperMacro(m).values()].map((s) => {
          const p = s.c / s.n;
          return Math.sqrt((p * (1 - p) * s.n) / (s.n - 1) / s.n);
        });
        expect(total(m).macro.stderr).toBeCloseTo(
          Math.sqrt(ses.reduce((a, b) => a + b * b, 0)) / ses.length,
          12,
        );
      }
    });

    it(`${engine}: per-subject accuracies of the ok items equal the paper's "OK" columns`, async () => {
      const body = await post({
        benchmark: 'mmlu-redux',
        levels: ['subject'],
        unscored: 'wrong',
        filters: { error_type: ['ok'] },
        engine,
      });
      for (const m of models) {
        for (const [subject, s] of paperMacro(m, true)) {
          const row = body.rows.find(
            (r: { model: string; groups: { subject: string } }) =>
              r.model === m && r.groups.subject === subject,
          );
          expect(row.accuracy).toBeCloseTo(s.c / s.n, 12);
          expect(row.n).toBe(s.n);
        }
      }
    });
  }

  it('keeps empty answers as unscored: excluded by default, counted wrong on request, never errors', async () => {
    const m = 'anthropic_claude-3-5-sonnet-20240620';
    const unscoredRows = csv.filter((l) => l.startsWith(`${m},`) && l.endsWith(',')).length;
    const ex = await post({ benchmark: 'mmlu-redux', levels: ['subject'], models: [m] });
    const wr = await post({ benchmark: 'mmlu-redux', levels: ['subject'], models: [m], unscored: 'wrong' });
    const sum = (b: { rows: Record<string, number>[] }, k: string) => b.rows.reduce((a, r) => a + r[k]!, 0);
    expect(sum(ex, 'unscored')).toBe(unscoredRows);
    expect(sum(ex, 'errors')).toBe(0);
    expect(sum(ex, 'n')).toBe(5700 - unscoredRows);
    expect(sum(wr, 'n')).toBe(5700);
    expect(ex.totals[0].micro.n).toBe(5700 - unscoredRows);
  });
});
