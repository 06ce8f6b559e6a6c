import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored } from './types.ts';

/**
 * BLEU as sacreBLEU (2.x, `sacrebleu.metrics.bleu.BLEU`) computes it, checked against sacreBLEU itself in
 * bleu.test.ts: 13a tokenisation, case kept unless `lowercase`, n-grams up to 4 clipped by the maximum
 * count over the references, the closest reference length (the shorter on a tie) for the brevity
 * penalty, and smoothing "exp" by default. Scores are on sacreBLEU's 0–100 scale.
 */

// Python's str.split()/rstrip() whitespace, which sacreBLEU's tokens are split on. JS's \s differs
// (it has U+FEFF, lacks U+001C–U+001F and U+0085), and a different split is a different score.
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACES = new RegExp(`[${PY_SPACE}]+`);
const PY_TRAILING = new RegExp(`[${PY_SPACE}]+$`);

const pySplit = (s: string): string[] => s.split(PY_SPACES).filter(Boolean);

/** sacreBLEU's "13a" tokenizer (mteval-v13a): punctuation split off, "." and "," kept inside numbers. */
export function tokenize13a(line: string): string[] {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&'))
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  s = ` ${s} `
    .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    .replace(/([0-9])(-)/g, '$1 $2 ');
  return pySplit(s);
}

export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  lowercase?: boolean;
  /** "13a" (sacreBLEU's default) or "none" (split on whitespace only, as raw_corpus_bleu). */
  tokenize?: '13a' | 'none';
  smooth?: BleuSmoothing;
  /** For floor (default 0.1) and add-k (default 1). */
  smoothValue?: number;
  /** Leave out n-gram orders the hypotheses are too short for (sentence BLEU). */
  effectiveOrder?: boolean;
  maxOrder?: number;
}

/** The sufficient statistics of one segment or (summed) a corpus. */
export interface BleuStats {
  sysLen: number;
  refLen: number;
  correct: number[];
  total: number[];
}

export interface BleuScore extends BleuStats {
  /** 0–100. */
  score: number;
  /** Per order, 0–100 (smoothed). */
  precisions: number[];
  bp: number;
}

function preprocess(s: string, o: BleuOptions): string[] {
  const line = (o.lowercase ? s.toLowerCase() : s).replace(PY_TRAILING, '');
  return o.tokenize === 'none' ? pySplit(line) : tokenize13a(line);
}

function ngrams(tokens: string[], maxOrder: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++)
    for (let i = 0; i + n <= tokens.length; i++) {
      const k = tokens.slice(i, i + n).join(' ');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  return m;
}

function closestRefLen(hypLen: number, refLens: number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const d = Math.abs(hypLen - len);
    if (bestDiff === -1 || d < bestDiff) {
      bestDiff = d;
      best = len;
    } else if (d === bestDiff && len < best) best = len;
  }
  return best;
}

/** One segment's statistics against its references (at least one). */
export function bleuStats(hypothesis: string, references: string[], o: BleuOptions = {}): BleuStats {
  const maxOrder = o.maxOrder ?? 4;
  const refCounts = new Map<string, number>();
  const refLens: number[] = [];
  for (const r of references) {
    const toks = preprocess(r, o);
    refLens.push(toks.length);
    for (const [k, c] of ngrams(toks, maxOrder)) refCounts.set(k, Math.max(refCounts.get(k) ?? 0, c));
  }
  const hyp = preprocess(hypothesis, o);
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [k, c] of ngrams(hyp, maxOrder)) {
    // Tokens hold no spaces, so the number of spaces is the order − 1.
    const n = k.split(' ').length - 1;
    total[n]! += c;
    correct[n]! += Math.min(c, refCounts.get(k) ?? 0);
  }
  return { sysLen: hyp.length, refLen: closestRefLen(hyp.length, refLens), correct, total };
}

const SMOOTH_DEFAULT: Record<BleuSmoothing, number> = { exp: 0, none: 0, floor: 0.1, 'add-k': 1 };

/** sacreBLEU's BLEU.compute_bleu, step for step (same operations, so the same floating-point result). */
export function computeBleu(stats: BleuStats, o: BleuOptions = {}): BleuScore {
  const maxOrder = o.maxOrder ?? 4;
  const method = o.smooth ?? 'exp';
  const value = o.smoothValue ?? SMOOTH_DEFAULT[method];
  const correct = [...stats.correct];
  const total = [...stats.total];
  const { sysLen, refLen } = stats;
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({ score, precisions, bp, sysLen, refLen, correct, total });
  if (!correct.some((c) => c !== 0)) return result(0);
  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1]! += value;
      total[n - 1]! += value;
    }
    if (total[n - 1] === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (method === 'floor') precisions[n - 1] = (100 * value) / total[n - 1]!;
    } else precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
  }
  // sacreBLEU's my_log: log(0) is floored to -9999999999, so a zero precision gives a score of 0.
  let sum = 0;
  for (const p of precisions.slice(0, effOrder)) sum += p === 0 ? -9999999999 : Math.log(p);
  return result(bp * Math.exp(sum / effOrder));
}

/**
 * Corpus BLEU, `sacrebleu.corpus_bleu` (smoothing exp, no effective order unless asked). `references[i]`
 * holds the references of segment i (sacreBLEU takes them transposed, one stream per reference).
 */
export function corpusBleu(hypotheses: string[], references: string[][], o: BleuOptions = {}): BleuScore {
  if (hypotheses.length !== references.length)
    throw new Error(`corpus BLEU: ${hypotheses.length} hypotheses but ${references.length} reference sets`);
  const maxOrder = o.maxOrder ?? 4;
  const sum: BleuStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(maxOrder).fill(0),
    total: new Array<number>(maxOrder).fill(0),
  };
  for (const [i, h] of hypotheses.entries()) {
    const s = bleuStats(h, references[i]!, o);
    sum.sysLen += s.sysLen;
    sum.refLen += s.refLen;
    for (let n = 0; n < maxOrder; n++) {
      sum.correct[n]! += s.correct[n]!;
      sum.total[n]! += s.total[n]!;
    }
  }
  return computeBleu(sum, o);
}

/** Sentence BLEU, `sacrebleu.sentence_bleu` (smoothing exp, effective order on by default). */
export function sentenceBleu(
  hypothesis: string,
  references: string | string[],
  o: BleuOptions = {},
): BleuScore {
  const opts = { effectiveOrder: true, ...o };
  const refs = typeof references === 'string' ? [references] : references;
  return computeBleu(bleuStats(hypothesis, refs, opts), opts);
}

/** The references of an item: the variable named by `references` (a string or list of strings), else its reference. */
export function itemReferences(item: BenchItem, variable: string | undefined): string[] {
  if (variable === undefined) return [item.reference];
  const v = item.vars[variable];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'string')) return v;
  throw new Error(`item ${item.id}: "${variable}" should hold the references (a list of strings)`);
}

/** Free text scored by sentence BLEU / 100 against the references; correct when it is ≥ threshold. */
export function bleuScorer(config: {
  threshold: number;
  lowercase: boolean;
  references?: string | undefined;
}): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const answer = response.trim();
      if (answer === '') return unscored();
      const score =
        sentenceBleu(answer, itemReferences(item, config.references), {
          lowercase: config.lowercase,
        }).score / 100;
      const ok = score >= config.threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
