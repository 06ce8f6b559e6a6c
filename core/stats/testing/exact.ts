/** Test-only helpers: exact arithmetic and simple quadrature, independent of the product code. */
import { expect } from 'vitest';

export function expectRel(actual: number | null | undefined, expected: number, rel: number, abs = 0): void {
  expect(actual).not.toBeNull();
  expect(actual).not.toBeUndefined();
  const a = actual as number;
  const tol = Math.max(abs, rel * Math.abs(expected));
  if (!(Math.abs(a - expected) <= tol)) {
    throw new Error(`expected ${a} to be within ${tol} of ${expected}`);
  }
}

export function bigChoose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** num/den as a double, correct to ~17 digits even when the ratio underflows ordinary division. */
export function bigRatio(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = den.toString().length - num.toString().length + 25;
  const q = shift >= 0 ? (num * 10n ** BigInt(shift)) / den : num / (den * 10n ** BigInt(-shift));
  return Number(`${q}e${-shift}`);
}

/** Exact P(X ≤ k), X ~ Bin(n, num/den), by BigInt summation of C(n,i) num^i (den−num)^(n−i) / den^n. */
export function exactBinomialCdf(k: number, n: number, num: number, den: number): number {
  let s = 0n;
  const p = BigInt(num);
  const q = BigInt(den - num);
  for (let i = 0; i <= Math.min(k, n); i++) s += bigChoose(n, i) * p ** BigInt(i) * q ** BigInt(n - i);
  return bigRatio(s, BigInt(den) ** BigInt(n));
}

/** Composite Simpson rule on [a, b] with an even number of panels. */
export function simpson(f: (x: number) => number, a: number, b: number, panels = 20_000): number {
  const n = panels % 2 === 0 ? panels : panels + 1;
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

/** ln Γ(x) for x a positive integer or half-integer, from factorials (no approximation). */
export function lnGammaExact(x: number): number {
  if (Number.isInteger(x)) {
    let s = 0;
    for (let i = 2; i < x; i++) s += Math.log(i);
    return s;
  }
  // Γ(m + 1/2) = (2m)! / (4^m m!) · √π
  const m = x - 0.5;
  let s = 0.5 * Math.log(Math.PI) - m * Math.log(4);
  for (let i = m + 1; i <= 2 * m; i++) s += Math.log(i);
  return s;
}

export { mulberry32 } from './prng.ts';
