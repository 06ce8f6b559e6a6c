import { type BetaParams, betaQuantile } from '../../core/stats/bayes.ts';
import { lnBeta, regularizedBeta, zForLevel } from '../../core/stats/distributions.ts';

const MAX_BINS = 8000;

/** CDF of the difference of two independent Uniform(−½, ½)·h variables, at u·h: triangular on [−1, 1]. */
function tri(u: number): number {
  if (u <= -1) return 0;
  if (u < 0) return (u + 1) ** 2 / 2;
  if (u < 1) return 1 - (1 - u) ** 2 / 2;
  return 1;
}

/**
 * Equal-tailed credible interval of p_A − p_B for independent Beta posteriors, deterministic and fast (about
 * 1 ms): both posteriors are cut, over their central 1 − 2·10⁻¹², into bins of one common width h with exact
 * masses (regularized incomplete beta); the difference of two bins is then spread triangularly over
 * [d − h, d + h], so the convolution is a sum over a lattice of step h whose CDF is piecewise quadratic and
 * is inverted by bisection. core/stats' diffCredibleInterval integrates the same quantity by a midpoint rule
 * with a special-function call per bin and bisection step, which is exact to ~1e-7 but ~30 ms a call;
 * here `bins` = 400 on the narrower posterior keeps the bounds within ~1e-5 of it.
 */
export function fastDiffInterval(a: BetaParams, b: BetaParams, level = 0.95, bins = 400): [number, number] {
  const range = (d: BetaParams) => {
    // With both parameters ≥ 50 the posterior is near normal and mean ± 10 sd holds all but ~1e-20 of it;
    // the quantile bisection (a hundred incomplete-beta calls) is kept for small, skewed posteriors.
    if (d.alpha >= 50 && d.beta >= 50) {
      const n = d.alpha + d.beta;
      const mean = d.alpha / n;
      const sd = Math.sqrt((d.alpha * d.beta) / (n * n * (n + 1)));
      return [Math.max(0, mean - 10 * sd), Math.min(1, mean + 10 * sd)] as const;
    }
    return [betaQuantile(1e-12, d), betaQuantile(1 - 1e-12, d)] as const;
  };
  const [la, ha] = range(a);
  const [lb, hb] = range(b);
  let h = Math.min(ha - la, hb - lb) / bins;
  if (!(h > 0)) h = Math.max(ha - la, hb - lb, 1e-12) / bins;
  h = Math.max(h, Math.max(ha - la, hb - lb) / MAX_BINS);
  const masses = (d: BetaParams, lo: number, hi: number) => {
    const n = Math.max(1, Math.ceil((hi - lo) / h));
    const w = new Float64Array(n);
    if (d.alpha >= 50 && d.beta >= 50) {
      // a smooth, near-normal posterior: density × width at bin midpoints (midpoint rule, relative error
      // ~ (h/sd)²/24 ≈ 1e-5 per bin at 200 bins), then normalized; no special function per bin
      const lnNorm = lnBeta(d.alpha, d.beta);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const x = Math.min(1 - 1e-15, Math.max(1e-15, lo + (i + 0.5) * h));
        w[i] = Math.exp((d.alpha - 1) * Math.log(x) + (d.beta - 1) * Math.log1p(-x) - lnNorm);
        total += w[i]!;
      }
      for (let i = 0; i < n; i++) w[i]! /= total;
      return w;
    }
    let prev = regularizedBeta(lo, d.alpha, d.beta);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = Math.min(1, lo + (i + 1) * h);
      const next = regularizedBeta(x, d.alpha, d.beta);
      w[i] = Math.max(0, next - prev);
      total += w[i]!;
      prev = next;
    }
    for (let i = 0; i < n; i++) w[i]! /= total;
    return w;
  };
  const wa = masses(a, la, ha);
  const wb = masses(b, lb, hb);
  // bin i of A minus bin j of B sits at d0 + (i − j + nb − 1)·h
  const na = wa.length;
  const nb = wb.length;
  const m = new Float64Array(na + nb - 1);
  for (let i = 0; i < na; i++) {
    const x = wa[i]!;
    if (x === 0) continue;
    for (let j = 0; j < nb; j++) m[i - j + nb - 1]! += x * wb[j]!;
  }
  const cum = new Float64Array(m.length);
  let acc = 0;
  for (let k = 0; k < m.length; k++) {
    acc += m[k]!;
    cum[k] = acc;
  }
  const d0 = la + h / 2 - (lb + (nb - 0.5) * h);
  const cdf = (d: number) => {
    const u = (d - d0) / h;
    const k = Math.floor(u);
    if (k < -1) return 0;
    if (k >= m.length) return 1;
    const below = k - 1 >= 0 ? cum[Math.min(k - 1, m.length - 1)]! : 0;
    const here = k >= 0 && k < m.length ? m[k]! * tri(u - k) : 0;
    const next = k + 1 < m.length ? m[k + 1]! * tri(u - k - 1) : 0;
    return below + here + next;
  };
  const solve = (target: number) => {
    let lo = d0 - 2 * h;
    let hi = d0 + (m.length + 1) * h;
    for (let it = 0; it < 100 && hi - lo > 1e-12; it++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const tail = (1 - level) / 2;
  return [solve(tail), solve(1 - tail)];
}

/** Mean and the 2nd–4th cumulants of Beta(α, β), from its closed-form moments. */
function betaCumulants({ alpha: a, beta: b }: BetaParams): [number, number, number, number] {
  const n = a + b;
  const mean = a / n;
  const v = (a * b) / (n * n * (n + 1));
  const skew = (2 * (b - a) * Math.sqrt(n + 1)) / ((n + 2) * Math.sqrt(a * b));
  const exKurt = (6 * ((a - b) ** 2 * (n + 1) - a * b * (n + 2))) / (a * b * (n + 2) * (n + 3));
  return [mean, v, skew * v ** 1.5, exKurt * v * v];
}

/**
 * The same interval for posteriors with both parameters ≥ 20, by the Cornish–Fisher expansion of
 * the difference's quantiles from its exact cumulants (κ₁ = μA − μB, κ₂ = σA² + σB², κ₃ = κ₃A − κ₃B,
 * κ₄ = κ₄A + κ₄B; Cornish & Fisher 1937, terms to the fourth cumulant). Measured against core/stats'
 * integration: within 2e-5 near the threshold (as close as the 200-bin lattice gets there), ~1e-7 for
 * hundreds of items (credible.test.ts checks it against direct integration), at a microsecond a call;
 * smaller posteriors go through fastDiffInterval.
 */
export function diffInterval(a: BetaParams, b: BetaParams, level = 0.95): [number, number] {
  if (Math.min(a.alpha, a.beta, b.alpha, b.beta) < 20) return fastDiffInterval(a, b, level, 200);
  const [ma, va, k3a, k4a] = betaCumulants(a);
  const [mb, vb, k3b, k4b] = betaCumulants(b);
  const sd = Math.sqrt(va + vb);
  const g1 = (k3a - k3b) / sd ** 3;
  const g2 = (k4a + k4b) / sd ** 4;
  const q = (z: number) =>
    ma -
    mb +
    sd * (z + ((z * z - 1) * g1) / 6 + ((z ** 3 - 3 * z) * g2) / 24 - ((2 * z ** 3 - 5 * z) * g1 * g1) / 36);
  const z = zForLevel(level);
  return [q(-z), q(z)];
}
