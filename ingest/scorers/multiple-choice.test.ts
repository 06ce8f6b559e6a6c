import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../../test/helpers/tmp.ts';
import type { BenchItem } from '../benchmarks/types.ts';
import { extractChoice } from './multiple-choice.ts';
import { createScorer } from './registry.ts';

const LETTERS = 'ABCD';

describe('multiple-choice scorer on real MMLU-Redux answers (HELM runs of 20 models)', () => {
  const items = new Map<string, { answer: number; choices: string[] }>();
  for (const l of readFileSync(`${SHARED_DATA}mmlu_redux/items.jsonl`, 'utf8').trim().split('\n')) {
    const r = JSON.parse(l) as { item_id: string; answer: number; choices: string[] };
    items.set(r.item_id, r);
  }

  it.each(['results.csv', 'results_v1_extra.csv'])(
    '%s: same outcome as the recorded `correct` for every row (stray tokens → unscored)',
    async (file) => {
      const rows = parse(readFileSync(`${SHARED_DATA}mmlu_redux/${file}`), { columns: true }) as {
        item_id: string;
        predicted: string;
        correct: string;
      }[];
      const scorer = createScorer({ type: 'multiple_choice' });
      const mismatches: string[] = [];
      const outcomes: Record<string, number> = {};
      for (const r of rows) {
        const it = items.get(r.item_id)!;
        const bench: BenchItem = {
          id: r.item_id,
          vars: { choices: it.choices },
          reference: LETTERS[it.answer]!,
          metadata: {},
        };
        const got = await scorer.score(r.predicted, bench);
        outcomes[got.outcome] = (outcomes[got.outcome] ?? 0) + 1;
        const want = r.correct === '' ? null : r.correct === '1';
        if (got.correct !== want)
          mismatches.push(`${r.item_id} ${JSON.stringify(r.predicted)}: ${got.outcome}`);
      }
      console.log(file, rows.length, outcomes);
      expect(mismatches).toEqual([]);
      expect(outcomes.unscored).toBe(file === 'results.csv' ? 207 : 361);
    },
  );
});

describe('extractChoice', () => {
  it.each([
    ['The answer is (B)', 'B'],
    ['the answer is B.', 'B'],
    ['**B**', 'B'],
    ['Answer: B.', 'B'],
    ['**Answer:** C', 'C'],
    ['Answer: (D) 42', 'D'],
    ['The correct answer is: **D. Paris**', 'D'],
    ['\\boxed{C}', 'C'],
    ['\\boxed{\\text{C}}', 'C'],
    ['B) Paris', 'B'],
    ['(A)', 'A'],
    ['A', 'A'],
    ['I think the answer is C because A is wrong', 'C'],
    ['A good point. B is wrong.\nAnswer: D', 'D'],
    ['Let me think step by step.\n...\nTherefore, B.', 'B'],
  ])('%j → %s', (text, letter) => expect(extractChoice(text, 4)).toBe(letter));

  it.each([
    ['This'],
    ['The'],
    ['To'],
    ['I'],
    ['E'],
    ['i'],
    ['40'],
    [''],
    ['A good question, I am not sure.'],
  ])('%j → no letter', (text) => expect(extractChoice(text, 4)).toBeNull());

  it('uses the item’s number of choices: I and J are letters with 10 options', () => {
    expect(extractChoice('I', 10)).toBe('I');
    expect(extractChoice('Answer: J', 10)).toBe('J');
    expect(extractChoice('Answer: J', 4)).toBeNull();
  });

  it('no letter is unscored, not incorrect', async () => {
    const s = createScorer({ type: 'multiple_choice' });
    const it: BenchItem = { id: '1', vars: { choices: ['a', 'b', 'c', 'd'] }, reference: 'B', metadata: {} };
    expect(await s.score('This', it)).toEqual({
      outcome: 'unscored',
      correct: null,
      score: null,
      answer: null,
    });
    expect(await s.score('Answer: C', it)).toEqual({
      outcome: 'incorrect',
      correct: false,
      score: 0,
      answer: 'C',
    });
    expect(await s.score('Answer: B', it)).toEqual({
      outcome: 'correct',
      correct: true,
      score: 1,
      answer: 'B',
    });
  });
});
