import { sampleCorrelation } from 'simple-statistics';
import { type Binary, toBit } from './types.ts';

export type ItemFlag = 'all_fail' | 'all_pass' | 'inverted';

export type ItemStats = {
  /** Column index in the input matrix. */
  index: number;
  /** Models with a score on this item. */
  n: number;
  /** Share of those models that got it right (classical "p-value" / facility); null when n = 0. */
  difficulty: number | null;
  /**
   * Corrected item–total point-biserial: Pearson r between the item's 0/1 and each model's accuracy on the
   * OTHER items (so the item does not correlate with itself). null with fewer than 3 models or no variance.
   */
  pointBiserial: number | null;
  flags: ItemFlag[];
};

export type ItemAnalysisOptions = {
  /** `inverted` when the point-biserial is below this (strong models fail, weak ones pass). Default −0.2. */
  readonly invertedBelow?: number;
};

/**
 * Classical item analysis of a models × items 0/1 matrix (rows are models; null/undefined = missing).
 * Per item: difficulty, corrected point-biserial discrimination and flags (Crocker & Algina 1986, ch. 14).
 */
export function itemAnalysis(
  matrix: readonly (readonly Binary[])[],
  options: ItemAnalysisOptions = {},
): ItemStats[] {
  const invertedBelow = options.invertedBelow ?? -0.2;
  const width = matrix[0]?.length ?? 0;
  for (const row of matrix)
    if (row.length !== width) throw new RangeError('every row must have one entry per item');
  const bits = matrix.map((row) => row.map((v) => toBit(v)));
  // Per model: correct count and scored count, from which "accuracy on the other items" is one subtraction.
  const totals = bits.map((row) => {
    let s = 0;
    let n = 0;
    for (const v of row) {
      if (v === null) continue;
      s += v;
      n++;
    }
    return { s, n };
  });
  const out: ItemStats[] = [];
  for (let j = 0; j < width; j++) {
    const x: number[] = [];
    const ability: number[] = [];
    let correct = 0;
    let n = 0;
    for (let m = 0; m < bits.length; m++) {
      const v = bits[m]![j]!;
      if (v === null) continue;
      n++;
      correct += v;
      const { s, n: nm } = totals[m]!;
      if (nm < 2) continue; // no other items: no ability to correlate with
      x.push(v);
      ability.push((s - v) / (nm - 1));
    }
    const difficulty = n === 0 ? null : correct / n;
    const pointBiserial =
      x.length >= 3 && varies(x) && varies(ability) ? sampleCorrelation(x, ability) : null;
    const flags: ItemFlag[] = [];
    if (n > 0 && correct === 0) flags.push('all_fail');
    if (n > 0 && correct === n) flags.push('all_pass');
    if (pointBiserial !== null && pointBiserial < invertedBelow) flags.push('inverted');
    out.push({ index: j, n, difficulty, pointBiserial, flags });
  }
  return out;
}

function varies(xs: readonly number[]): boolean {
  return xs.some((v) => v !== xs[0]);
}
