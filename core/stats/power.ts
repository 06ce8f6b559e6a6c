import { normalQuantile } from './distributions.ts';

export type PowerOptions = { readonly alpha?: number; readonly power?: number };

function zs({ alpha = 0.05, power = 0.8 }: PowerOptions): { za: number; zb: number } {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  return { za: normalQuantile(1 - alpha / 2), zb: normalQuantile(power) };
}

/** Smallest δ in (0, max] with f(δ) ≤ 0 for a function positive near 0 and decreasing past its root; null if none. */
function solve(f: (d: number) => number, max: number): number | null {
  if (!(max > 0) || f(max) > 0) return null;
  let lo = 0;
  let hi = max;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Minimum detectable difference between two independent accuracies, each measured on n items, two-sided
 * level alpha, at the given power (defaults 0.05 and 0.8). Normal approximation for two proportions
 * (Fleiss, Levin & Paik 2003 §4.2, without continuity correction; R's power.prop.test): the δ solving
 *   δ = z_{1−α/2}·√(2·p̄q̄/n) + z_{power}·√((p₁q₁ + p₂q₂)/n),  p₁ = p, p₂ = p ± δ, p̄ = (p₁ + p₂)/2.
 * The alternative is taken towards ½ (p + δ when p ≤ ½, else p − δ), where the variance is larger: the
 * conservative direction. n = 0, or no such δ within [0, 1] → null.
 */
export function minDetectableDiff(n: number, p: number, options: PowerOptions = {}): number | null {
  if (!(n >= 0)) throw new RangeError(`n must be ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (n === 0) return null;
  const { za, zb } = zs(options);
  const up = p <= 0.5;
  const f = (d: number) => {
    const p2 = up ? p + d : p - d;
    const pbar = (p + p2) / 2;
    return (
      za * Math.sqrt((2 * pbar * (1 - pbar)) / n) + zb * Math.sqrt((p * (1 - p) + p2 * (1 - p2)) / n) - d
    );
  };
  return solve(f, up ? 1 - p : p);
}

/**
 * Minimum detectable difference for a paired design (both models on the same n items), McNemar's test in
 * its normal approximation (Connor 1987): with ψ the discordance rate (share of items where exactly one
 * model is right), the δ = p_A − p_B solving
 *   δ·√n = z_{1−α/2}·√ψ + z_{power}·√(ψ − δ²).
 * Assumption: ψ is known, e.g. from an earlier comparison of similar models; for two models of accuracy ≈ p
 * whose item outcomes correlate with phi coefficient ρ, ψ = 2p(1 − p)(1 − ρ). δ ≤ ψ always; none → null.
 */
export function minDetectableDiffPaired(
  n: number,
  discordance: number,
  options: PowerOptions = {},
): number | null {
  if (!(n >= 0)) throw new RangeError(`n must be ≥ 0, got ${n}`);
  if (!(discordance >= 0 && discordance <= 1))
    throw new RangeError(`discordance must be in [0, 1], got ${discordance}`);
  if (n === 0 || discordance === 0) return null;
  const { za, zb } = zs(options);
  const f = (d: number) =>
    za * Math.sqrt(discordance / n) + zb * Math.sqrt(Math.max(0, discordance - d * d) / n) - d;
  return solve(f, discordance);
}

/**
 * Whether n items per model are enough to detect an accuracy difference of |diff| from a baseline p at the
 * given power (independent two-proportion design; the paired design needs less, see minDetectableDiffPaired).
 */
export function isLargeEnough(n: number, p: number, diff: number, options: PowerOptions = {}): boolean {
  const mde = minDetectableDiff(n, p, options);
  return mde !== null && mde <= Math.abs(diff);
}

/**
 * Paired items needed to detect an accuracy difference δ = target with McNemar's test at level alpha and the
 * given power, in the same normal approximation as minDetectableDiffPaired (Connor 1987), solved for n:
 *   n = (z_{1−α/2}·√ψ + z_{power}·√(ψ − δ²))² / δ², rounded up,
 * ψ the discordance rate (share of items where exactly one arm is right; the observed one, as an estimate).
 * |δ| cannot exceed ψ (δ = p(only B) − p(only A) and ψ = their sum): then, or with ψ = 0, no n is enough → null.
 */
export function pairedSampleSize(
  target: number,
  discordance: number,
  options: PowerOptions = {},
): number | null {
  if (!(target > 0 && target < 1)) throw new RangeError(`target must be in (0, 1), got ${target}`);
  if (!(discordance >= 0 && discordance <= 1))
    throw new RangeError(`discordance must be in [0, 1], got ${discordance}`);
  if (discordance === 0 || target > discordance) return null;
  const { za, zb } = zs(options);
  const root = za * Math.sqrt(discordance) + zb * Math.sqrt(Math.max(0, discordance - target * target));
  // the ceiling of a value a rounding error above an integer would add one item: take it off first
  const n = (root * root) / (target * target);
  return Math.ceil(n * (1 - 1e-12));
}
