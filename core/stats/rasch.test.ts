import { describe, expect, it } from 'vitest';
import { raschJML } from './rasch.ts';
import { mulberry32 } from './testing/exact.ts';
import { byModel, itemsAndModels } from './testing/mmlu-redux.ts';

function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

const sigma = (t: number) => 1 / (1 + Math.exp(-t));

describe('raschJML on a simulated matrix', () => {
  const rand = mulberry32(20240611);
  const z = normal(rand);
  const M = 40;
  const L = 400;
  const theta = Array.from({ length: M }, () => z());
  const b = Array.from({ length: L }, () => z());
  const mat = theta.map((t) => b.map((d) => (rand() < sigma(t - d) ? 1 : 0) as 0 | 1));
  const fit = raschJML(mat);

  it('converges and satisfies the likelihood equations Σ_i p̂ = r_m, Σ_m p̂ = s_i', () => {
    expect(fit.converged).toBe(true);
    const keptItems = fit.difficulties.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0);
    fit.abilities.forEach((t, m) => {
      if (t === null) return;
      let r = 0;
      let e = 0;
      for (const i of keptItems) {
        r += mat[m]![i]!;
        e += sigma(t - fit.difficulties[i]!);
      }
      expect(Math.abs(r - e)).toBeLessThan(1e-6);
    });
    for (const i of keptItems) {
      let s = 0;
      let e = 0;
      fit.abilities.forEach((t, m) => {
        if (t === null) return;
        s += mat[m]![i]!;
        e += sigma(t - fit.difficulties[i]!);
      });
      expect(Math.abs(s - e)).toBeLessThan(1e-6);
    }
  });

  it('recovers the generating abilities within their standard errors', () => {
    // Same origin as the fit: generating difficulties of the kept items centred to mean 0.
    const kept = fit.difficulties
      .map((v, i) => (v === null ? null : b[i]!))
      .filter((v): v is number => v !== null);
    const shift = kept.reduce((a, c) => a + c, 0) / kept.length;
    let sq = 0;
    let within3 = 0;
    fit.abilities.forEach((t, m) => {
      const err = t! - (theta[m]! - shift);
      sq += err * err;
      if (Math.abs(err) < 3 * fit.abilitySe[m]!) within3++;
    });
    expect(fit.excludedModels).toEqual([]);
    expect(Math.sqrt(sq / M)).toBeLessThan(0.2);
    expect(within3).toBeGreaterThanOrEqual(M - 1);
    // SE from the Fisher information: 1/√Σ p(1−p) over the kept items.
    const m0 = 0;
    const info = fit.difficulties.reduce<number>((acc, d) => {
      if (d === null) return acc;
      const p = sigma(fit.abilities[m0]! - d);
      return acc + p * (1 - p);
    }, 0);
    expect(fit.abilitySe[m0]).toBeCloseTo(1 / Math.sqrt(info), 12);
  });
});

describe('raschJML edge cases', () => {
  it('drops all-pass / all-fail items and perfect / zero scores, repeatedly', () => {
    const fit = raschJML([
      [1, 1, 0, 1],
      [1, 0, 0, 0],
      [1, 1, 0, 0],
      [1, null, 0, 1],
    ]);
    // Round 1: items 0 and 2; then on items 1 and 3 models 0 and 3 are perfect and model 1 scores zero.
    // Round 2: with only model 2 left, items 1 and 3 become all-pass / all-fail, and model 2 has nothing left.
    expect(fit.excludedItems).toEqual([
      { index: 0, reason: 'all_pass' },
      { index: 2, reason: 'all_fail' },
      { index: 1, reason: 'all_pass' },
      { index: 3, reason: 'all_fail' },
    ]);
    expect(fit.excludedModels).toEqual([
      { index: 0, reason: 'all_correct' },
      { index: 1, reason: 'all_wrong' },
      { index: 3, reason: 'all_correct' },
      { index: 2, reason: 'no_data' },
    ]);
    expect(fit.abilities).toEqual([null, null, null, null]);
    expect(fit.converged).toBe(false);
  });

  it('a small fittable matrix: symmetric data give symmetric estimates', () => {
    const fit = raschJML([
      [1, 1, 0],
      [1, 0, 1],
      [1, 0, 0],
    ]);
    // Item 0 is all-pass; then model 2 scores zero on items 1–2. Models 0 and 1 each get one of the two
    // remaining items, so by symmetry θ₀ = θ₁ and b₁ = b₂ = 0.
    expect(fit.excludedItems).toEqual([{ index: 0, reason: 'all_pass' }]);
    expect(fit.excludedModels).toEqual([{ index: 2, reason: 'all_wrong' }]);
    expect(fit.converged).toBe(true);
    expect(fit.difficulties[1]).toBeCloseTo(0, 9);
    expect(fit.difficulties[2]).toBeCloseTo(0, 9);
    expect(fit.abilities[0]).toBeCloseTo(fit.abilities[1]!, 9);
  });

  it('empty input', () => {
    const fit = raschJML([]);
    expect(fit).toMatchObject({ abilities: [], difficulties: [], converged: false, iterations: 0 });
  });
});

describe('raschJML on real MMLU-Redux', () => {
  const bm = byModel();
  const { items, models } = itemsAndModels();
  const mat = models.map((m) => items.map((id) => bm.get(m)!.get(id) ?? null));

  it('abilities order like raw accuracy (exactly, on the items every model has a score for)', () => {
    const complete = items.map((_, j) => j).filter((j) => mat.every((row) => row[j] !== null));
    const sub = mat.map((row) => complete.map((j) => row[j]!));
    const fit = raschJML(sub);
    expect(fit.converged).toBe(true);
    const score = sub.map((row) => row.reduce<number>((a, v) => a + (v ?? 0), 0));
    for (let a = 0; a < models.length; a++) {
      for (let c = 0; c < models.length; c++) {
        if (score[a]! > score[c]!) expect(fit.abilities[a]!).toBeGreaterThan(fit.abilities[c]!);
        if (score[a] === score[c]) expect(fit.abilities[a]!).toBeCloseTo(fit.abilities[c]!, 6);
      }
    }
  });

  it('with missing entries, pairs whose accuracies differ by over half a point keep their order', () => {
    const fit = raschJML(mat);
    const acc = mat.map((row) => {
      const xs = row.filter((v) => v !== null) as number[];
      return xs.reduce((a, v) => a + v, 0) / xs.length;
    });
    for (let a = 0; a < models.length; a++) {
      for (let c = 0; c < models.length; c++) {
        if (acc[a]! - acc[c]! > 0.005) expect(fit.abilities[a]!).toBeGreaterThan(fit.abilities[c]!);
      }
    }
  });
});
