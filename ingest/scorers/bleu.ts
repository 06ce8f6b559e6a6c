import type { BenchItem } from '../benchmarks/types.ts';
import { type Scorer, unscored } from './types.ts';

/** sacrebleu's default "13a" tokenizer (mteval-v13a): punctuation split off, digits' . and , kept. */
export function tokenize13a(line: string): string[] {
  let s = line
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  if (s.includes('&'))
    s = s
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  s = ` ${s} `
    .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
    .replace(/([^0-9])([.,])/g, '$1 $2 ')
    .replace(/([.,])([^0-9])/g, ' $1 $2')
    .replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join('\u0001');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/**
 * Sentence BLEU in [0, 1], as sacrebleu's `sentence_bleu` computes it by default: 13a tokens, case
 * kept, up to 4-grams with effective order (orders the hypothesis is too short for are left out),
 * smoothing "exp" (Chen & Cherry's method 3: the k-th zero-match order gets precision
 * 1 / (2^k · total)), brevity penalty exp(1 − r/c) when c < r. sacrebleu reports 100 × this.
 */
export function sentenceBleu(hypothesis: string, reference: string, maxOrder = 4): number {
  const hyp = tokenize13a(hypothesis);
  const ref = tokenize13a(reference);
  if (hyp.length === 0) return 0;
  let logSum = 0;
  let order = 0;
  let smooth = 1;
  for (let n = 1; n <= maxOrder; n++) {
    const total = Math.max(0, hyp.length - n + 1);
    if (total === 0) break; // effective order
    const h = ngrams(hyp, n);
    const r = ngrams(ref, n);
    let correct = 0;
    for (const [k, c] of h) correct += Math.min(c, r.get(k) ?? 0);
    let p: number;
    if (correct === 0) {
      smooth *= 2;
      p = 1 / (smooth * total);
    } else p = correct / total;
    logSum += Math.log(p);
    order++;
  }
  const bp = hyp.length < ref.length ? Math.exp(1 - ref.length / hyp.length) : 1;
  return bp * Math.exp(logSum / order);
}

/** Free text scored by sentence BLEU against the reference; correct when BLEU ≥ threshold. */
export function bleuScorer(config: { threshold: number }): Scorer {
  return {
    async score(response: string, item: BenchItem) {
      const answer = response.trim();
      if (answer === '') return unscored();
      const score = sentenceBleu(answer, item.reference);
      const ok = score >= config.threshold;
      return { outcome: ok ? 'correct' : 'incorrect', correct: ok, score, answer };
    },
  };
}
