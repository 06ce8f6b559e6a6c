import { type Binary, toBit } from './types.ts';

export type RaschOptions = { readonly maxIterations?: number; readonly tolerance?: number };

export type RaschResult = {
  /** θ per model (row); null for models left out (no data, all right or all wrong on the kept items). */
  abilities: (number | null)[];
  abilitySe: (number | null)[];
  /** b per item (column), centred to mean 0 over kept items; null for items left out. */
  difficulties: (number | null)[];
  difficultySe: (number | null)[];
  excludedItems: { index: number; reason: 'no_data' | 'all_pass' | 'all_fail' }[];
  excludedModels: { index: number; reason: 'no_data' | 'all_correct' | 'all_wrong' }[];
  iterations: number;
  converged: boolean;
};

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * One-parameter logistic (Rasch) model P(x_mi = 1) = σ(θ_m − b_i), fitted by joint maximum likelihood with
 * alternating Newton steps (Wright & Panchapakesan 1969; Linacre's JMLE): each model's θ given the b's, then
 * each item's b given the θ's, b's re-centred to mean 0 (the model fixes only differences). Items every
 * kept model passes or fails, and models with a perfect or zero score, have no finite estimate; they are
 * removed, repeatedly, until none is left. SE(θ_m) = 1/√Σ_i p(1−p) (Fisher information), likewise for b_i.
 * JML estimates are known to be spread out by about L/(L − 1) for L items (Wright & Douglas 1977); with
 * hundreds of items that is negligible and no correction is applied. `converged` is false when nothing
 * could be fitted (every model or item excluded).
 */
export function raschJML(matrix: readonly (readonly Binary[])[], options: RaschOptions = {}): RaschResult {
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-9;
  const M = matrix.length;
  const L = matrix[0]?.length ?? 0;
  for (const row of matrix)
    if (row.length !== L) throw new RangeError('every row must have one entry per item');
  const x = matrix.map((row) => row.map((v) => toBit(v)));

  const modelOn = new Array<boolean>(M).fill(true);
  const itemOn = new Array<boolean>(L).fill(true);
  const excludedItems: RaschResult['excludedItems'] = [];
  const excludedModels: RaschResult['excludedModels'] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < L; i++) {
      if (!itemOn[i]) continue;
      let n = 0;
      let s = 0;
      for (let m = 0; m < M; m++) {
        const v = x[m]![i]!;
        if (!modelOn[m] || v === null) continue;
        n++;
        s += v;
      }
      if (n === 0 || s === 0 || s === n) {
        itemOn[i] = false;
        changed = true;
        excludedItems.push({ index: i, reason: n === 0 ? 'no_data' : s === 0 ? 'all_fail' : 'all_pass' });
      }
    }
    for (let m = 0; m < M; m++) {
      if (!modelOn[m]) continue;
      let n = 0;
      let s = 0;
      for (let i = 0; i < L; i++) {
        const v = x[m]![i]!;
        if (!itemOn[i] || v === null) continue;
        n++;
        s += v;
      }
      if (n === 0 || s === 0 || s === n) {
        modelOn[m] = false;
        changed = true;
        excludedModels.push({
          index: m,
          reason: n === 0 ? 'no_data' : s === 0 ? 'all_wrong' : 'all_correct',
        });
      }
    }
  }

  // Raw scores on the kept cells, and logit starting values.
  const r = new Array<number>(M).fill(0);
  const rn = new Array<number>(M).fill(0);
  const s = new Array<number>(L).fill(0);
  const sn = new Array<number>(L).fill(0);
  for (let m = 0; m < M; m++) {
    if (!modelOn[m]) continue;
    for (let i = 0; i < L; i++) {
      const v = x[m]![i]!;
      if (!itemOn[i] || v === null) continue;
      r[m]! += v;
      rn[m]!++;
      s[i]! += v;
      sn[i]!++;
    }
  }
  const theta = r.map((v, m) => (modelOn[m] ? Math.log(v / (rn[m]! - v)) : 0));
  const b = s.map((v, i) => (itemOn[i] ? Math.log((sn[i]! - v) / v) : 0));
  centre(b, theta, itemOn);

  let iterations = 0;
  let converged = false;
  // Nothing left to fit: report no iterations and not converged rather than a vacuous success.
  const anything = modelOn.some(Boolean) && itemOn.some(Boolean);
  while (anything && iterations < maxIterations && !converged) {
    iterations++;
    let maxStep = 0;
    for (let m = 0; m < M; m++) {
      if (!modelOn[m]) continue;
      let e = 0;
      let info = 0;
      for (let i = 0; i < L; i++) {
        if (!itemOn[i] || x[m]![i] === null) continue;
        const p = logistic(theta[m]! - b[i]!);
        e += p;
        info += p * (1 - p);
      }
      const step = clamp((r[m]! - e) / info);
      theta[m]! += step;
      maxStep = Math.max(maxStep, Math.abs(step));
    }
    for (let i = 0; i < L; i++) {
      if (!itemOn[i]) continue;
      let e = 0;
      let info = 0;
      for (let m = 0; m < M; m++) {
        if (!modelOn[m] || x[m]![i] === null) continue;
        const p = logistic(theta[m]! - b[i]!);
        e += p;
        info += p * (1 - p);
      }
      const step = clamp((s[i]! - e) / info);
      b[i]! -= step;
      maxStep = Math.max(maxStep, Math.abs(step));
    }
    centre(b, theta, itemOn);
    converged = maxStep < tolerance;
  }

  const infoTheta = new Array<number>(M).fill(0);
  const infoB = new Array<number>(L).fill(0);
  for (let m = 0; m < M; m++) {
    if (!modelOn[m]) continue;
    for (let i = 0; i < L; i++) {
      if (!itemOn[i] || x[m]![i] === null) continue;
      const p = logistic(theta[m]! - b[i]!);
      infoTheta[m]! += p * (1 - p);
      infoB[i]! += p * (1 - p);
    }
  }
  return {
    abilities: theta.map((t, m) => (modelOn[m] ? t : null)),
    abilitySe: infoTheta.map((v, m) => (modelOn[m] ? 1 / Math.sqrt(v) : null)),
    difficulties: b.map((v, i) => (itemOn[i] ? v : null)),
    difficultySe: infoB.map((v, i) => (itemOn[i] ? 1 / Math.sqrt(v) : null)),
    excludedItems,
    excludedModels,
    iterations,
    converged,
  };
}

/** Newton steps larger than 1 logit overshoot from poor starts; smaller steps still reach the same root. */
function clamp(step: number): number {
  return Math.max(-1, Math.min(1, step));
}

function centre(b: number[], theta: number[], itemOn: readonly boolean[]): void {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    if (!itemOn[i]) continue;
    sum += b[i]!;
    n++;
  }
  if (n === 0) return;
  const shift = sum / n;
  for (let i = 0; i < b.length; i++) if (itemOn[i]) b[i]! -= shift;
  for (let m = 0; m < theta.length; m++) theta[m]! -= shift;
}
