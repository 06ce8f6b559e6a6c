import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../../test/helpers/tmp.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import { sentenceBleu, tokenize13a } from './bleu.ts';
import { parseGrade } from './judge.ts';
import { extractNumber } from './numeric.ts';
import { createScorer } from './registry.ts';
import { rougeL } from './rouge-l.ts';

const item = (reference: string, vars: Record<string, unknown> = {}): BenchItem => ({
  id: 'i1',
  vars,
  reference,
  metadata: {},
});

describe('exact_match', () => {
  it('normalizes as SQuAD: case, punctuation, articles, whitespace', async () => {
    const s = createScorer({ type: 'exact_match' });
    expect((await s.score('  The  Eiffel Tower! ', item('eiffel tower'))).correct).toBe(true);
    expect((await s.score('An apple.', item('apple'))).correct).toBe(true);
    expect((await s.score('Eiffel', item('eiffel tower'))).correct).toBe(false);
    expect((await s.score('   ', item('x'))).outcome).toBe('unscored');
  });
  it('takes group 1 of the last match of `pattern`; no match is unscored', async () => {
    const s = createScorer({ type: 'exact_match', pattern: 'Answer:\\s*(.+)' });
    expect(await s.score('Thinking…\nAnswer: Paris', item('paris'))).toMatchObject({
      correct: true,
      answer: 'Paris',
    });
    expect((await s.score('Paris', item('paris'))).outcome).toBe('unscored');
  });
});

describe('numeric', () => {
  const s = createScorer({ type: 'numeric' });
  it.each([
    ['so the answer is \\boxed{033}', '33', true],
    ['\\boxed{25}', '025', true],
    ['The total is 1,000 apples, minus 2 gives 998.', '998', true],
    ['\\boxed{10{,}000}', '10000', true],
    ['The answer is $204$.', '204', true],
    ['\\boxed{204} (check: 4 hours)', '204', true],
    ['\\boxed{205}', '204', false],
  ])('%j vs %s', async (text, ref, ok) => expect((await s.score(text, item(ref))).correct).toBe(ok));
  it('no number is unscored', async () =>
    expect((await s.score('no idea', item('5'))).outcome).toBe('unscored'));
  it('tolerance', async () => {
    const t = createScorer({ type: 'numeric', tolerance: 0.01 });
    expect((await t.score('3.141', item('3.14'))).correct).toBe(true);
  });
  it('reads the real AIME 2024 reference solutions (their last \\boxed/\\fbox) as the reference answer', () => {
    const rows = readFileSync(`${SHARED_DATA}aime24/test.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { solution: string; answer: string });
    // The AoPS solutions end with several write-ups; the first boxed answer of each is the official one.
    const ok = rows.filter((r) => {
      const first = /\\(?:boxed|fbox|framebox)\{(\d+)\}/.exec(r.solution);
      return first ? extractNumber(`\\boxed{${first[1]}}`)?.value === Number(r.answer) : true;
    });
    expect(ok.length).toBe(rows.length);
  });
});

describe('regex', () => {
  it('uses the configured group, last match by default, first on request', async () => {
    const last = createScorer({ type: 'regex', pattern: 'FINAL\\((?<v>\\w+)\\)', group: 'v' });
    expect(await last.score('FINAL(no) … FINAL(Yes)', item('yes'))).toMatchObject({
      correct: true,
      answer: 'Yes',
    });
    const first = createScorer({
      type: 'regex',
      pattern: 'FINAL\\((\\w+)\\)',
      match: 'first',
      normalize: 'none',
    });
    expect(await first.score('FINAL(no) … FINAL(yes)', item('no'))).toMatchObject({
      correct: true,
      answer: 'no',
    });
    expect((await first.score('nothing', item('no'))).outcome).toBe('unscored');
  });
});

describe('BLEU (sacrebleu sentence_bleu defaults: 13a, exp smoothing, effective order) against hand computation', () => {
  it('tokenizes like 13a', () => {
    expect(tokenize13a('Hello, world! It costs $3.50.')).toEqual([
      'Hello',
      ',',
      'world',
      '!',
      'It',
      'costs',
      '$',
      '3.50',
      '.',
    ]);
  });
  it('no smoothing needed: p = 5/6, 3/5, 2/4, 1/3, BP = 1', () => {
    // hyp "the cat sat on the mat" vs ref "the cat sat on a mat"
    const want = ((5 / 6) * (3 / 5) * (2 / 4) * (1 / 3)) ** (1 / 4); // = (1/12)^(1/4) ≈ 0.5373
    expect(sentenceBleu('the cat sat on the mat', 'the cat sat on a mat').score / 100).toBeCloseTo(want, 12);
    expect(want).toBeCloseTo(0.537285, 5);
  });
  it('exp smoothing: the k-th zero order gets 1/(2^k · total)', () => {
    // hyp "a b c d", ref "a b x y": p1 = 2/4, p2 = 1/3, p3 = 0 → 1/(2·2), p4 = 0 → 1/(4·1)
    const want = ((2 / 4) * (1 / 3) * (1 / 4) * (1 / 4)) ** (1 / 4);
    expect(sentenceBleu('a b c d', 'a b x y').score / 100).toBeCloseTo(want, 12);
  });
  it('effective order and brevity penalty', () => {
    // hyp "the cat" (2 tokens), ref "the dog sat" (3): p1 = 1/2, p2 = 0 → 1/(2·1); BP = e^(1 − 3/2)
    const want = Math.exp(1 - 3 / 2) * Math.sqrt((1 / 2) * (1 / 2));
    expect(sentenceBleu('the cat', 'the dog sat').score / 100).toBeCloseTo(want, 12);
    expect(sentenceBleu('', 'the dog').score / 100).toBe(0);
  });
  it('scorer: score is BLEU, correct at or above the threshold', async () => {
    const s = createScorer({ type: 'bleu', threshold: 0.5 });
    expect(await s.score('the cat sat on the mat', item('the cat sat on a mat'))).toMatchObject({
      outcome: 'correct',
      correct: true,
    });
    expect((await s.score('a b c d', item('a b x y'))).correct).toBe(false);
  });
});

describe('ROUGE-L against hand computation', () => {
  it('F1 on the LCS of lower-cased tokens', () => {
    // LCS("the cat sat on the mat", "the cat is on the mat") = the cat on the mat = 5
    expect(rougeL('the cat sat on the mat', 'The cat is on the mat.').f).toBeCloseTo(5 / 6, 12);
    // LCS = police the gunman = 3 of 4 and 4
    expect(rougeL('police killed the gunman', 'police kill the gunman').f).toBeCloseTo(0.75, 12);
    // P = 3/3, R = 3/6 → F1 = 2·1·0.5 / 1.5
    const r = rougeL('a b c', 'a x b y c z');
    expect([r.precision, r.recall, r.f]).toEqual([1, 0.5, 2 / 3]);
    // β = 2 weighs recall: (1+4)·1·0.5 / (0.5 + 4·1)
    expect(rougeL('a b c', 'a x b y c z', 2).f).toBeCloseTo(2.5 / 4.5, 12);
    expect(rougeL('x', 'y').f).toBe(0);
  });
  it('scorer threshold', async () => {
    const s = createScorer({ type: 'rouge_l', threshold: 0.8 });
    expect((await s.score('the cat sat on the mat', item('the cat is on the mat'))).correct).toBe(true);
    expect((await s.score('police killed the gunman', item('police kill the gunman'))).correct).toBe(false);
  });
});

describe('judge', () => {
  const it1 = item('Paris', { question: 'Capital of France?' });
  it('fills the rubric and reads the grade', async () => {
    const s = createScorer({ type: 'judge' });
    const prompts: string[] = [];
    const judge = async (p: string) => {
      prompts.push(p);
      return 'The response names Paris.\nGRADE: CORRECT';
    };
    expect(await s.score('It is Paris.', it1, { judge })).toEqual({
      outcome: 'correct',
      correct: true,
      score: 1,
      answer: 'It is Paris.',
    });
    expect(prompts[0]).toContain('Capital of France?');
    expect(prompts[0]).toContain('Reference answer:\nParis');
    expect(prompts[0]).toContain('It is Paris.');
  });
  it('custom rubric; INCORRECT and NOT_ATTEMPTED', async () => {
    const s = createScorer({ type: 'judge', rubric: 'Q={{question}} R={{reference}} A={{response}}' });
    let seen = '';
    const res = await s.score('Lyon', it1, {
      judge: async (p) => {
        seen = p;
        return 'GRADE: INCORRECT';
      },
    });
    expect(seen).toBe('Q=Capital of France? R=Paris A=Lyon');
    expect(res.outcome).toBe('incorrect');
    expect((await s.score('?', it1, { judge: async () => '**Grade:** NOT_ATTEMPTED' })).outcome).toBe(
      'unscored',
    );
  });
  it('parses simple-evals letter grades', () => {
    expect(parseGrade('A')).toBe('correct');
    expect(parseGrade('reasoning...\nB')).toBe('incorrect');
    expect(parseGrade('GRADE: C')).toBe('unscored');
    expect(parseGrade('I think so')).toBeNull();
  });
  it('judge failures reject (the runner records an error)', async () => {
    const s = createScorer({ type: 'judge' });
    await expect(s.score('x', it1)).rejects.toThrow(/needs a judge/);
    await expect(s.score('x', it1, { judge: async () => 'maybe?' })).rejects.toThrow(/no grade/);
    await expect(
      s.score('x', it1, {
        judge: async () => {
          throw new Error('429 from judge');
        },
      }),
    ).rejects.toThrow(/429/);
  });
});

describe('createScorer', () => {
  it('rejects unknown types and unknown options', () => {
    expect(() => createScorer({ type: 'nope' } as never)).toThrow();
    expect(() => createScorer({ type: 'bleu', treshold: 0.3 } as never)).toThrow(/treshold/);
  });
});
