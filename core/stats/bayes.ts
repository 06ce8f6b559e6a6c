import { lnBeta, regularizedBeta } from './distributions.ts';
import { assertCount } from './types.ts';

export type BetaParams = { readonly alpha: number; readonly beta: number };

/** Beta–Binomial conjugate update: Beta(α₀ + successes, β₀ + n − successes); default prior Beta(1, 1). */
export function betaPosterior(
  successes: number,
  n: number,
  prior: BetaParams = { alpha: 1, beta: 1 },
): BetaParams & { mean: number } {
  assertCount('n', n);
  assertCount('successes', successes);
  if (successes > n) throw new RangeError(`successes (${successes}) exceed n (${n})`);
  if (!(prior.alpha > 0 && prior.beta > 0)) throw new RangeError('prior parameters must be positive');
  const alpha = prior.alpha + successes;
  const beta = prior.beta + n - successes;
  return { alpha, beta, mean: alpha / (alpha + beta) };
}

/**
 * P(p_A > p_B) for independent p_A ~ Beta(a), p_B ~ Beta(b), exactly, by Evan Miller's closed form
 * ("Formulas for Bayesian A/B Testing", 2015), with the roles swapped to give A > B:
 *   Σ_{i=0}^{α_A−1} B(α_B + i, β_A + β_B) / ((β_A + i) · B(1 + i, β_A) · B(α_B, β_B)),
 * each term in log space (log-gamma) so that thousands of terms neither overflow nor underflow.
 * Needs an integer α_A; when only α_B is an integer, 1 − P(p_B > p_A) is used.
 */
export function probAGreaterB(a: BetaParams, b: BetaParams): number {
  for (const p of [a, b])
    if (!(p.alpha > 0 && p.beta > 0)) throw new RangeError('Beta parameters must be positive');
  if (Number.isInteger(a.alpha)) return Math.min(1, Math.max(0, millerSum(a, b)));
  if (Number.isInteger(b.alpha)) return Math.min(1, Math.max(0, 1 - millerSum(b, a)));
  throw new RangeError(
    'the closed form needs an integer alpha on one side (integer counts with an integer prior)',
  );
}

function millerSum(a: BetaParams, b: BetaParams): number {
  // term_0 from log-gammas, then term_{i+1} = term_i · (α_B + i)(β_A + i) / ((α_B + β_A + β_B + i)(1 + i)),
  // the ratio of consecutive terms written out (no special function per term); kept in log space.
  let lnTerm =
    lnBeta(b.alpha, a.beta + b.beta) - Math.log(a.beta) - lnBeta(1, a.beta) - lnBeta(b.alpha, b.beta);
  let total = 0;
  for (let i = 0; i < a.alpha; i++) {
    total += Math.exp(lnTerm);
    lnTerm += Math.log(((b.alpha + i) * (a.beta + i)) / ((b.alpha + a.beta + b.beta + i) * (1 + i)));
  }
  return total;
}

/** Beta quantile by bisection on the regularized incomplete beta (only used to bound the integration range). */
export function betaQuantile(p: number, { alpha, beta }: BetaParams): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, alpha, beta) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A Beta distribution cut into `bins` equal-width bins over its central 1 − 2·10⁻¹³, with exact bin masses. */
function discretize(d: BetaParams, bins: number): { x: number[]; w: number[] } {
  const lo = betaQuantile(1e-13, d);
  const hi = betaQuantile(1 - 1e-13, d);
  const h = (hi - lo) / bins;
  const x: number[] = [];
  const w: number[] = [];
  let prev = regularizedBeta(lo, d.alpha, d.beta);
  for (let k = 0; k < bins; k++) {
    const next =
      k === bins - 1
        ? regularizedBeta(hi, d.alpha, d.beta)
        : regularizedBeta(lo + (k + 1) * h, d.alpha, d.beta);
    x.push(lo + (k + 0.5) * h);
    w.push(next - prev);
    prev = next;
  }
  const total = w.reduce((s, v) => s + v, 0);
  return { x, w: w.map((v) => v / total) };
}

/**
 * Equal-tailed credible interval for p_A − p_B (independent Beta posteriors), deterministic:
 * P(p_A − p_B ≤ d) = E[F_A(p_B + d)] is a one-dimensional integral over the narrower posterior (cut into
 * `bins` bins with exact masses, midpoint rule) of the wider one's CDF, i.e. a numerical convolution in CDF
 * form; each bound is then found by bisection on d to 1e-10. No Monte Carlo.
 */
export function diffCredibleInterval(
  a: BetaParams,
  b: BetaParams,
  level = 0.95,
  bins = 1000,
): readonly [number, number] {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const varOf = ({ alpha, beta }: BetaParams) => (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
  // Integrate over the narrower posterior: its bins are then fine relative to the wider CDF's scale.
  const aNarrow = varOf(a) <= varOf(b);
  const narrow = discretize(aNarrow ? a : b, bins);
  const wide = aNarrow ? b : a;
  const cdfDiff = (d: number): number => {
    let s = 0;
    for (let k = 0; k < narrow.x.length; k++) {
      const x = narrow.x[k]!;
      // A narrow: P(p_B ≥ x − d); B narrow: P(p_A ≤ x + d)
      const t = aNarrow ? x - d : x + d;
      const f = t <= 0 ? 0 : t >= 1 ? 1 : regularizedBeta(t, wide.alpha, wide.beta);
      s += narrow.w[k]! * (aNarrow ? 1 - f : f);
    }
    return s;
  };
  const solve = (target: number): number => {
    let lo = -1;
    let hi = 1;
    while (hi - lo > 1e-10) {
      const mid = (lo + hi) / 2;
      if (cdfDiff(mid) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const tail = (1 - level) / 2;
  return [solve(tail), solve(1 - tail)];
}

export type BayesAB = {
  a: BetaParams & { mean: number };
  b: BetaParams & { mean: number };
  probAGreaterB: number;
  diffMean: number;
  diffInterval: readonly [number, number];
};

/** Bayesian A/B of two accuracies with Beta(1, 1) priors: posteriors, exact P(p_A > p_B), 95 % interval of p_A − p_B. */
export function bayesAB(
  successesA: number,
  nA: number,
  successesB: number,
  nB: number,
  level = 0.95,
): BayesAB {
  const a = betaPosterior(successesA, nA);
  const b = betaPosterior(successesB, nB);
  return {
    a,
    b,
    probAGreaterB: probAGreaterB(a, b),
    diffMean: a.mean - b.mean,
    diffInterval: diffCredibleInterval(a, b, level),
  };
}
