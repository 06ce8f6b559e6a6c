import type { BenchItem } from '../benchmarks/types.ts';
import { answerStatement, lastBoxed } from './boxed.ts';
import { evalLatex } from './math-eval.ts';
import { normalizeMath } from './math-normalize.ts';
import { lastNumber } from './numeric.ts';
import { type Scorer, unscored, verdict } from './types.ts';

/** The final answer of a worked solution: the last \boxed{}/\fbox{}, else "the answer is …", else the last number. */
export function extractMathAnswer(response: string): string | null {
  const boxed = lastBoxed(response);
  if (boxed !== null && boxed.trim() !== '') return boxed.trim();
  const stated = answerStatement(response);
  if (stated) return stated.replace(/^\$+|\$+\.?$/g, '').trim();
  return lastNumber(response);
}

/** Splits on commas outside brackets and braces. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** "(a,b)" / "[a,b)" → brackets and parts, when the outer brackets enclose the whole string. */
function bracketed(s: string): { open: string; close: string; parts: string[] } | null {
  const open = s[0];
  const close = s[s.length - 1];
  if (!open || !close || !'(['.includes(open) || !')]'.includes(close)) return null;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if ('([{'.includes(s[i]!)) depth++;
    else if (')]}'.includes(s[i]!)) depth--;
    if (depth === 0 && i < s.length - 1) return null;
  }
  return { open, close, parts: splitTop(s.slice(1, -1)) };
}

function matrixEntries(s: string): string[][] | null {
  const m = /^\\begin\{[pbv]?matrix\}(.*)\\end\{[pbv]?matrix\}$/.exec(s);
  if (!m) return null;
  return m[1]!
    .split('\\\\')
    .filter((r) => r !== '')
    .map((r) => r.split('&'));
}

const SAMPLE_POINTS = [
  {
    x: 0.7371,
    y: 1.913,
    z: -0.411,
    t: 2.31,
    a: 1.618,
    b: -0.577,
    n: 3.17,
    k: 0.283,
    r: 1.41,
    s: 2.72,
    m: 0.93,
    c: 1.21,
  },
  {
    x: -1.29,
    y: 0.331,
    z: 2.07,
    t: 0.519,
    a: -0.77,
    b: 2.45,
    n: 1.39,
    k: 1.77,
    r: 0.66,
    s: -1.13,
    m: 2.2,
    c: -0.41,
  },
];

/** Value equality: both plain numbers (relative tolerance), or the same function of the same variables at sample points. */
function sameValue(a: string, b: string, tol: number): boolean {
  const close = (x: number, y: number) =>
    Math.abs(x - y) <= Math.max(tol * Math.max(Math.abs(x), Math.abs(y)), 1e-12);
  const va = evalLatex(a);
  const vb = evalLatex(b);
  // When either side is written as an integer the other must equal it: 9999.86 is not 10000,
  // whatever the tolerance (the tolerance is for decimals vs fractions, 0.333 vs \frac13 aside).
  if (va !== null && vb !== null)
    return /^-?\d+$/.test(a) || /^-?\d+$/.test(b)
      ? Math.abs(va - vb) <= 1e-9 * Math.max(1, Math.abs(va))
      : close(va, vb);
  // Expressions in single-letter variables (4a-2 vs -2+4a): compare at fixed points. Words
  // ("odd", "no") are not expressions: require a digit or an operator on both sides.
  const exprLike = (s: string) => /[\d+\-*^\\]/.test(s);
  if (va !== null || vb !== null || !exprLike(a) || !exprLike(b)) return false;
  const vars = (s: string) =>
    [...new Set(s.replace(/\\[a-zA-Z]+/g, '').match(/[a-zA-Z]/g) ?? [])].sort().join('');
  if (vars(a) !== vars(b)) return false;
  return SAMPLE_POINTS.every((env) => {
    const x = evalLatex(a, env);
    const y = evalLatex(b, env);
    return x !== null && y !== null && close(x, y);
  });
}

/** Whether two normalized answers are the same mathematical answer. */
function equalNormalized(a: string, b: string, tol: number): boolean {
  if (a === b) return true;
  const ta = bracketed(a);
  const tb = bracketed(b);
  if (ta && tb && ta.parts.length === tb.parts.length && ta.parts.length > 1) {
    // Tuples and intervals: same brackets, equal parts in order.
    return (
      ta.open === tb.open &&
      ta.close === tb.close &&
      ta.parts.every((p, i) => equalNormalized(p, tb.parts[i]!, tol))
    );
  }
  const ma = matrixEntries(a);
  const mb = matrixEntries(b);
  if (ma && mb)
    return (
      ma.length === mb.length &&
      ma.every(
        (row, i) => row.length === mb[i]!.length && row.every((e, j) => equalNormalized(e, mb[i]![j]!, tol)),
      )
    );
  // Unbracketed lists ("all solutions, separated by commas"): the same answers in any order.
  const la = splitTop(a);
  const lb = splitTop(b);
  if (la.length > 1 && la.length === lb.length && !ta && !tb) {
    const rest = [...lb];
    return la.every((x) => {
      const k = rest.findIndex((y) => equalNormalized(x, y, tol));
      if (k < 0) return false;
      rest.splice(k, 1);
      return true;
    });
  }
  return sameValue(a, b, tol);
}

/** Whether `answer` and `reference` are the same MATH-style answer (LaTeX normalized, numbers by value). */
export function mathEqual(answer: string, reference: string, tol = 1e-4): boolean {
  return equalNormalized(normalizeMath(answer), normalizeMath(reference), tol);
}

/** MATH-500 and similar: extract the final answer, compare with the reference by mathEqual. */
export function mathScorer(config: { tolerance: number }): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const answer = extractMathAnswer(response);
      if (answer === null) return unscored();
      return verdict(mathEqual(answer, item.reference, config.tolerance), answer);
    },
  };
}
