import type { BenchItem } from '../benchmarks/types.ts';
import { answerStatement, lastBoxed } from './boxed.ts';
import { type Scorer, unscored, verdict } from './types.ts';

const NUMBER = /-?\d{1,3}(?:(?:,|\{,\})\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|-?\.\d+/g;

/** A number written plainly: "033", "1,000", "10{,}000", "$42$", "\text{42}", "42." → number; else null. */
export function parseNumber(s: string): number | null {
  const t = s
    .replace(/\\text\{([^}]*)\}|\\mathrm\{([^}]*)\}/g, '$1$2')
    .replace(/\\[!,;: ]|\$|\\\(|\\\)/g, '')
    .replace(/\{,\}/g, '')
    .replace(/^\s*[a-zA-Z]\s*=\s*/, '')
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/\.$/, '')
    .replace(/\^\{?\\circ\}?|\\%|%/g, '')
    .trim();
  if (!/^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(t)) return null;
  return Number(t);
}

/** The last number in a text (thousands separators allowed), or null. */
export function lastNumber(text: string): string | null {
  let found: string | null = null;
  for (const m of text.matchAll(NUMBER)) found = m[0];
  return found;
}

/**
 * The number a response gives: the last \boxed{} if it holds a number, else the number in the
 * last "the answer is …", else the last number in the text (as simple-evals and Qwen's math
 * evaluation fall back).
 */
export function extractNumber(response: string): { text: string; value: number } | null {
  for (const candidate of [lastBoxed(response), answerStatement(response)]) {
    if (candidate === null) continue;
    const v = parseNumber(candidate);
    if (v !== null) return { text: candidate.trim(), value: v };
    const inner = lastNumber(candidate);
    if (inner !== null) return { text: inner, value: parseNumber(inner)! };
  }
  const n = lastNumber(response);
  return n === null ? null : { text: n, value: parseNumber(n)! };
}

/** Numeric answers (AIME): equal within `tolerance` (0: exactly, "033" = 33). No number: unscored. */
export function numericScorer(config: { tolerance: number }): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const got = extractNumber(response);
      if (got === null) return unscored();
      const ref = parseNumber(item.reference);
      if (ref === null) throw new Error(`item ${item.id}: reference "${item.reference}" is not a number`);
      const tol = Math.max(config.tolerance, 1e-9 * Math.max(1, Math.abs(ref)));
      return verdict(Math.abs(got.value - ref) <= tol, String(got.value));
    },
  };
}
