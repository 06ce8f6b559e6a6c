import { describe, expect, it } from 'vitest';
import { itemAnalysis } from './item-analysis.ts';
import { expectRel } from './testing/exact.ts';
import { byModel, itemsAndModels } from './testing/mmlu-redux.ts';

/**
 * Textbook point-biserial: r = (M₁ − M₀)/s · √(p·q), with M₁/M₀ the mean ability of models that passed/failed,
 * s the population sd of ability, p the share passing (Crocker & Algina 1986, eq. 14.3).
 */
function pointBiserialTextbook(x: number[], ability: number[]): number {
  const n = x.length;
  const pass = ability.filter((_, i) => x[i] === 1);
  const fail = ability.filter((_, i) => x[i] === 0);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const m = mean(ability);
  const s = Math.sqrt(ability.reduce((acc, v) => acc + (v - m) ** 2, 0) / n);
  const p = pass.length / n;
  return ((mean(pass) - mean(fail)) / s) * Math.sqrt(p * (1 - p));
}

describe('itemAnalysis', () => {
  it('difficulty, flags and the corrected point-biserial on a small matrix', () => {
    // 5 models (rows) × 4 items. Item 3 is inverted: only the weakest models pass it.
    const m = [
      [1, 1, 1, 0],
      [1, 1, 0, 0],
      [1, 0, 1, 0],
      [1, 0, 0, 1],
      [1, 0, null, 1],
    ] as const;
    const r = itemAnalysis(m.map((row) => [...row]));
    expect(r[0]).toMatchObject({ n: 5, difficulty: 1, pointBiserial: null, flags: ['all_pass'] });
    expect(r[2]).toMatchObject({ n: 4, difficulty: 0.5 });
    expect(r[3]!.flags).toEqual(['inverted']);
    // Independent: ability = accuracy on the other items.
    const col = 3;
    const x = m.map((row) => row[col] as number);
    const ability = m.map((row) => {
      const others = row.filter((v, j) => j !== col && v !== null) as number[];
      return others.reduce((a, b) => a + b, 0) / others.length;
    });
    expectRel(r[col]!.pointBiserial, pointBiserialTextbook(x, ability), 1e-12);
  });

  it('edge cases: no models, no data in a column, all fail, fewer than 3 models', () => {
    expect(itemAnalysis([])).toEqual([]);
    expect(itemAnalysis([[null, 0]])[0]).toEqual({
      index: 0,
      n: 0,
      difficulty: null,
      pointBiserial: null,
      flags: [],
    });
    expect(itemAnalysis([[0], [0]])[0]!.flags).toEqual(['all_fail']);
    expect(
      itemAnalysis([
        [0, 1],
        [1, 0],
      ])[0]!.pointBiserial,
    ).toBeNull();
    expect(() => itemAnalysis([[0, 1], [1]])).toThrow(RangeError);
  });

  it('real MMLU-Redux: difficulty and point-biserial match textbook formulas item by item', () => {
    const bm = byModel();
    const { items, models } = itemsAndModels();
    const mat = models.map((m) => items.map((id) => bm.get(m)!.get(id) ?? null));
    const res = itemAnalysis(mat);
    const totals = mat.map((row) => {
      const xs = row.filter((v) => v !== null) as number[];
      return { s: xs.reduce((a, b) => a + b, 0), n: xs.length };
    });
    let checked = 0;
    for (let j = 0; j < items.length; j += 7) {
      const x: number[] = [];
      const ability: number[] = [];
      mat.forEach((row, m) => {
        const v = row[j];
        if (v === null || v === undefined) return;
        x.push(v);
        ability.push((totals[m]!.s - v) / (totals[m]!.n - 1));
      });
      const share = x.reduce((a, b) => a + b, 0) / x.length;
      expectRel(res[j]!.difficulty, share, 1e-15);
      if (share === 0 || share === 1) {
        expect(res[j]!.pointBiserial).toBeNull();
        expect(res[j]!.flags).toContain(share === 0 ? 'all_fail' : 'all_pass');
      } else {
        expectRel(res[j]!.pointBiserial, pointBiserialTextbook(x, ability), 1e-10, 1e-13);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
