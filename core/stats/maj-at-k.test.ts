import { describe, expect, it } from 'vitest';
import { majAtK, majAtKItem } from './maj-at-k.ts';
import { expectRel } from './testing/exact.ts';
import { itemsAndModels, loadMmluRedux } from './testing/mmlu-redux.ts';

const s = (answer: string | null, correct: 0 | 1 | null) => ({ answer, correct });

describe('majAtKItem', () => {
  it('majority wins, only the first k samples vote', () => {
    const samples = [s('A', 0), s('B', 1), s('B', 1), s('A', 0), s('A', 0)];
    expect(majAtKItem(samples, 3)).toBe(1);
    expect(majAtKItem(samples, 5)).toBe(0);
  });

  it('a tie goes to the answer that appeared first', () => {
    expect(majAtKItem([s('B', 1), s('A', 0), s('A', 0), s('B', 1)], 4)).toBe(1);
    expect(majAtKItem([s('A', 0), s('B', 1)], 2)).toBe(0);
  });

  it('null and empty answers do not vote; no votes → wrong; unscored winner → wrong', () => {
    expect(majAtKItem([s(null, null), s('', null), s('C', 1)], 3)).toBe(1);
    expect(majAtKItem([s(null, null), s('', 0)], 2)).toBe(0);
    expect(majAtKItem([s('A', null)], 1)).toBe(0);
  });

  it('fewer than k samples → null', () => expect(majAtKItem([s('A', 1)], 2)).toBeNull());
});

describe('majAtK', () => {
  it('averages with stderr and counts items apart', () => {
    const r = majAtK([[s('A', 1)], [s('B', 0)], [s(null, null)], []], 1);
    expect(r).toMatchObject({ items: 3, tooFewSamples: 1, noVotes: 1 });
    expectRel(r.value, 1 / 3, 1e-15);
    expectRel(r.stderr, Math.sqrt(1 / 3) / Math.sqrt(3), 1e-14);
  });

  it('real MMLU-Redux: the 14 models voting per item, against a direct count', () => {
    const { items, models } = itemsAndModels();
    const rows = new Map(loadMmluRedux().map((r) => [`${r.model}|${r.itemId}`, r]));
    const perItem = items.map((id) =>
      models.map((m) => {
        const r = rows.get(`${m}|${id}`)!;
        return { answer: r.predicted, correct: r.correct };
      }),
    );
    const r = majAtK(perItem, 14);
    // Direct: count votes, take the highest count, earliest among ties.
    let right = 0;
    for (const samples of perItem) {
      const answers = samples.map((x) => x.answer).filter((a) => a !== '');
      if (answers.length === 0) continue;
      const counts = answers.map((a) => answers.filter((b) => b === a).length);
      const top = Math.max(...counts);
      const winner = answers[counts.indexOf(top)];
      if (samples.find((x) => x.answer === winner)!.correct === 1) right++;
    }
    expect(r.items).toBe(items.length);
    expectRel(r.value, right / items.length, 1e-14);
  });
});
