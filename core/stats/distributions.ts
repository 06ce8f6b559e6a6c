/**
 * Distribution functions the rest of core/stats builds on.
 *
 * simple-statistics supplies log-gamma (Lanczos, ~1e-15 relative). Its normal CDF is a 4-digit table and its
 * probit a closed-form approximation good to ~3 decimals (probit(0.975) = 1.9572), too coarse for p-values and
 * for the 1.959964 we print, so the normal CDF, its inverse, the incomplete beta and Student's t are written here.
 */
import { gammaln } from 'simple-statistics';

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  return gammaln(x);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function lnBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

/** ln C(n, k) for integers 0 ≤ k ≤ n. */
export function lnChoose(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  if (k === 0 || k === n) return 0;
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Standard normal CDF Φ(x), double precision (Hart 1968 as given by West 2005, "Better approximations to
 * cumulative normal functions"): absolute error below 1e-14, and the lower tail is computed directly.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  let tail: number;
  if (ax > 37) {
    tail = 0;
  } else {
    const e = Math.exp((-ax * ax) / 2);
    if (ax < 7.07106781186547) {
      let num = 3.52624965998911e-2 * ax + 0.700383064443688;
      num = num * ax + 6.37396220353165;
      num = num * ax + 33.912866078383;
      num = num * ax + 112.079291497871;
      num = num * ax + 221.213596169931;
      num = num * ax + 220.206867912376;
      let den = 8.83883476483184e-2 * ax + 1.75566716318264;
      den = den * ax + 16.064177579207;
      den = den * ax + 86.7807322029461;
      den = den * ax + 296.564248779674;
      den = den * ax + 637.333633378831;
      den = den * ax + 793.826512519948;
      den = den * ax + 440.413735824752;
      tail = (e * num) / den;
    } else {
      let b = ax + 0.65;
      b = ax + 4 / b;
      b = ax + 3 / b;
      b = ax + 2 / b;
      b = ax + 1 / b;
      tail = e / b / SQRT_2PI;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

/**
 * Inverse standard normal CDF. Acklam's rational approximation (relative error 1.15e-9) followed by one
 * Halley step on normalCdf, which brings it to double precision. p outside (0, 1) gives ±Infinity or NaN.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
      (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    x =
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  // Halley refinement; work in the smaller tail so that Φ(x) − p keeps its digits.
  const err = x <= 0 ? normalCdf(x) - p : 1 - p - normalCdf(-x);
  const u = (x <= 0 ? err : -err) * SQRT_2PI * Math.exp((x * x) / 2);
  const sign = x <= 0 ? 1 : -1;
  return x - (sign * u) / (1 + (x * sign * u) / 2);
}

/** z of a two-sided interval at `level`: zForLevel(0.95) = 1.959963984540054. */
export function zForLevel(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  return normalQuantile(1 - (1 - level) / 2);
}

/**
 * Regularized incomplete beta I_x(a, b), by the continued fraction of Numerical Recipes §6.4 (modified Lentz),
 * using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) so the fraction always converges fast.
 * `y` = 1 − x may be passed when it is known more precisely than 1 − x (small t-statistics).
 */
export function regularizedBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x) || x < 0 || x > 1) return Number.NaN;
  if (x === 0) return 0;
  if (y === 0) return 1;
  const lnFront = a * Math.log(x) + b * Math.log(y) - lnBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(y, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const eps = 1e-16;
  const maxIter = 100_000;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIter; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < eps) return h;
  }
  return h;
}

/** Two-sided tail P(|T| ≥ |t|) for Student's t with df > 0 degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** Student's t CDF P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t > 0 ? 1 - tail : tail;
}

/** Inverse of studentTCdf, by bisection on the CDF (the CDF is cheap and monotone; 200 halvings reach 1 ulp). */
export function studentTQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // Upper quantile: find t > 0 with two-sided tail 2(1 − p); work on the tail to keep small-tail digits.
  const target = 2 * (1 - p);
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) > target) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Binomial lower tail P(X ≤ k) for X ~ Bin(n, p), by direct summation of the pmf in log space
 * (terms scaled by the largest one so that nothing underflows before the sum). O(k) terms.
 */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0 || Number.isNaN(k) || !(p >= 0 && p <= 1)) return Number.NaN;
  if (k < 0) return 0;
  if (k >= n) return 1;
  const kk = Math.floor(k);
  if (p === 0) return 1;
  if (p === 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const logs: number[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= kk; i++) {
    const l = lnChoose(n, i) + i * lp + (n - i) * lq;
    logs.push(l);
    if (l > max) max = l;
  }
  let s = 0;
  for (const l of logs) s += Math.exp(l - max);
  return Math.min(1, Math.exp(max + Math.log(s)));
}
