import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../../test/helpers/tmp.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import { lastBoxed } from './boxed.ts';
import { extractMathAnswer, mathEqual } from './math.ts';
import { createScorer } from './registry.ts';

interface CotRow {
  idx: number;
  gt: string;
  code: string[];
  pred: string[];
  score: boolean[];
}

const item = (reference: string): BenchItem => ({ id: 'x', vars: {}, reference, metadata: {} });

describe('math scorer on real model outputs (math_cot_100: 100 MATH problems × 8 Qwen2.5-Math samples)', () => {
  const rows = readFileSync(`${SHARED_DATA}model_outputs/math_cot_100.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CotRow);

  it('agrees with the recorded grader verdicts on at least 99 % of the 800 responses', async () => {
    const scorer = createScorer({ type: 'math' });
    const disagreements: string[] = [];
    let n = 0;
    for (const r of rows)
      for (let i = 0; i < r.code.length; i++) {
        n++;
        const got = await scorer.score(r.code[i]!, item(r.gt));
        if (got.correct !== r.score[i])
          disagreements.push(
            `#${r.idx}/${i}: gt ${r.gt} answer ${got.answer} recorded ${r.score[i]} ours ${got.correct}`,
          );
      }
    console.log(
      `math scorer: ${n - disagreements.length}/${n} agree with the recorded verdicts\n${disagreements.join('\n')}`,
    );
    expect(n).toBe(800);
    // The one disagreement we looked at: #72/7 answers "10000" to reference "10{,}000"; the
    // recorded grader does not read "{,}" as a thousands separator and marked it wrong.
    expect(disagreements).toEqual([
      expect.stringContaining('#72/7: gt 10{,}000 answer 10000 recorded false ours true'),
    ]);
    expect((n - disagreements.length) / n).toBeGreaterThanOrEqual(0.99);
  });

  it('extracts the same final answer as the recorded extractor, up to spacing', () => {
    let same = 0;
    for (const r of rows)
      for (let i = 0; i < r.code.length; i++) {
        const a = extractMathAnswer(r.code[i]!);
        if (
          a !== null &&
          (a.replace(/\s+/g, '') === r.pred[i]!.replace(/\s+/g, '') || mathEqual(a, r.pred[i]!))
        )
          same++;
      }
    // Including "4:30 \text{ p.m.}", where the recorded pred is "4:30" (the unit is dropped).
    expect(same).toBe(800);
  });

  it('handles the hard cases seen in the real outputs', () => {
    expect(mathEqual('9999.857142857143', '10{,}000')).toBe(false); // #72/3: integer references match exactly
    expect(mathEqual('9999 \\frac{6}{7}', '10{,}000')).toBe(false); // #72/6: mixed number
    expect(mathEqual('12 \\frac{3}{5}', '12\\frac{3}{5}')).toBe(true); // #24: spacing in a mixed number
    expect(mathEqual('1 \\frac{1}{9}', '1\\frac{1}{10}')).toBe(false); // #37/4
    expect(mathEqual('900000000', '900,000,000')).toBe(true);
    expect(mathEqual('3250', '3,250')).toBe(true);
    expect(mathEqual('\\sqrt{34} + 3\\sqrt{10}', '28')).toBe(false); // #92/0
    // The reference "4:30p.." is corrupted upstream ("4:30 p.m."): like the recorded grader, not equal.
    expect(mathEqual('4:30 \\text{ p.m.}', '4:30p..')).toBe(false);
  });
});

describe('mathEqual', () => {
  it.each([
    ['\\frac{1}{2}', '\\dfrac12'],
    ['0.5', '\\frac12'],
    ['1/2', '\\frac{1}{2}'],
    ['\\sqrt{2}', '\\sqrt2'],
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
    ['90^\\circ', '90'],
    ['90^{\\circ}', '90'],
    ['5 \\text{ cm}', '5'],
    ['\\$18.90', '18.90'],
    ['42.', '42'],
    ['37.50', '37.5'],
    ['[1,2)', '[1, 2)'],
    ['x=5', '5'],
    ['x \\in [2,5]', '[2,5]'],
    ['4a-2', '-2+4a'],
    ['\\text{(C)}', 'C'],
    ['1\\frac{1}{10}', '\\frac{11}{10}'],
    ['2\\sqrt{2}', '\\sqrt{8}'],
    ['1, 2', '2,1'],
    ['-\\frac{40}{153}', '\\frac{-40}{153}'],
    ['10\\%', '10'],
    ['\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}', '\\begin{pmatrix}1\\\\-2\\end{pmatrix}'],
    ['\\frac{\\sqrt{3}}{3}', '\\frac{1}{\\sqrt{3}}'],
  ])('%s = %s', (a, b) => expect(mathEqual(a, b)).toBe(true));

  it.each([
    ['[1,2)', '(1,2)'],
    ['(1,2)', '(2,1)'],
    ['9999', '10000'],
    ['\\text{even}', '\\text{odd}'],
    ['\\frac{1}{3}', '0.3'],
    ['x', 'y'],
  ])('%s ≠ %s', (a, b) => expect(mathEqual(a, b)).toBe(false));

  it('extracts nested braces from \\boxed and \\fbox, the last one winning', () => {
    expect(lastBoxed('so \\boxed{1} then \\boxed{\\frac{1}{\\sqrt{2}}}.')).toBe('\\frac{1}{\\sqrt{2}}');
    expect(lastBoxed('\\fbox{204} minutes')).toBe('204');
    expect(lastBoxed('answer \\boxed 5$')).toBe('5');
    expect(lastBoxed('\\boxed{unclosed')).toBeNull();
  });

  it('is unscored when there is no answer at all', async () => {
    const s = createScorer({ type: 'math' });
    expect(await s.score('I cannot solve this.', item('3'))).toEqual({
      outcome: 'unscored',
      correct: null,
      score: null,
      answer: null,
    });
    expect((await s.score('The answer is $\\frac{3}{8}$.', item('\\frac38'))).correct).toBe(true);
  });
});
