import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BleuOptions, type BleuScore, computeBleu, corpusBleu, sentenceBleu } from './bleu.ts';
import { porterStem } from './porter-stemmer.ts';
import { type RougeScore, rouge } from './rouge.ts';

/**
 * BLEU, ROUGE and the Porter stemmer against values computed by sacreBLEU, Google's rouge-score and
 * NLTK themselves (scripts/reference-scores.py wrote the fixture; its header names the versions).
 */

interface PyBleuOpts {
  lowercase?: boolean;
  tokenize?: '13a' | 'none';
  smooth?: BleuOptions['smooth'];
  smooth_value?: number;
  max_order?: number;
  effective_order?: boolean;
}
interface PyBleu {
  score: number;
  counts: number[];
  totals: number[];
  sys_len: number;
  ref_len: number;
  bp: number;
}
interface Fixture {
  tools: Record<string, string>;
  bleu_sentence: { name: string; hyp: string; refs: string[]; opts: PyBleuOpts; want: PyBleu }[];
  bleu_corpus: { name: string; hyps: string[]; refs: string[][]; opts: PyBleuOpts; want: PyBleu }[];
  bleu_stats: {
    stats: { correct: number[]; total: number[]; sys_len: number; ref_len: number };
    opts: PyBleuOpts;
    score: number;
  }[];
  rouge: {
    target: string;
    prediction: string;
    stem: boolean;
    want: Record<'rouge1' | 'rouge2' | 'rougeL', RougeScore>;
  }[];
  porter: Record<string, string>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/scores-reference.json', import.meta.url), 'utf8'),
) as Fixture;

const TOL = 1e-6;

function opts(o: PyBleuOpts): BleuOptions {
  return {
    ...(o.lowercase !== undefined ? { lowercase: o.lowercase } : {}),
    ...(o.tokenize !== undefined ? { tokenize: o.tokenize } : {}),
    ...(o.smooth !== undefined ? { smooth: o.smooth } : {}),
    ...(o.smooth_value !== undefined ? { smoothValue: o.smooth_value } : {}),
    ...(o.max_order !== undefined ? { maxOrder: o.max_order } : {}),
    ...(o.effective_order !== undefined ? { effectiveOrder: o.effective_order } : {}),
  };
}

function expectBleu(got: BleuScore, want: PyBleu, name: string) {
  expect(Math.abs(got.score - want.score), `${name}: ${got.score} vs ${want.score}`).toBeLessThan(TOL);
  expect(Math.abs(got.bp - want.bp), name).toBeLessThan(TOL);
  // Statistics are integers (add-k adds its value to both): exactly equal.
  expect({ correct: got.correct, total: got.total, sys: got.sysLen, ref: got.refLen }, name).toEqual({
    correct: want.counts,
    total: want.totals,
    sys: want.sys_len,
    ref: want.ref_len,
  });
}

describe('reference values from the real tools', () => {
  it('the fixture holds enough cases, including the published ones', () => {
    expect(fixture.bleu_sentence.length).toBeGreaterThan(80);
    expect(fixture.bleu_corpus.length).toBeGreaterThan(30);
    expect(fixture.rouge.length).toBeGreaterThan(100);
    expect(Object.keys(fixture.porter).length).toBeGreaterThan(3000);
    // sacrebleu's own test_bleu.py figure for its README example
    const readme = fixture.bleu_corpus.find((c) => c.name === 'test_bleu default')!;
    expect(readme.want.score).toBeCloseTo(48.530827, 6);
  });

  it('sentence BLEU equals sacrebleu.sentence_bleu', () => {
    for (const c of fixture.bleu_sentence)
      expectBleu(sentenceBleu(c.hyp, c.refs, opts(c.opts)), c.want, c.name);
  });

  it('corpus BLEU equals sacrebleu.corpus_bleu / raw_corpus_bleu', () => {
    for (const c of fixture.bleu_corpus) expectBleu(corpusBleu(c.hyps, c.refs, opts(c.opts)), c.want, c.name);
  });

  it('BLEU from statistics equals BLEU.compute_bleu', () => {
    for (const c of fixture.bleu_stats) {
      const got = computeBleu(
        { correct: c.stats.correct, total: c.stats.total, sysLen: c.stats.sys_len, refLen: c.stats.ref_len },
        opts(c.opts),
      );
      expect(Math.abs(got.score - c.score), JSON.stringify(c)).toBeLessThan(TOL);
    }
  });

  it('ROUGE-1/2/L equal rouge_scorer.RougeScorer, with and without the stemmer', () => {
    for (const c of fixture.rouge)
      for (const type of ['rouge1', 'rouge2', 'rougeL'] as const) {
        const got = rouge(type, c.target, c.prediction, c.stem);
        const want = c.want[type];
        const label = `${type} stem=${c.stem} ${JSON.stringify(c.target)} / ${JSON.stringify(c.prediction)}`;
        expect(Math.abs(got.precision - want.precision), label).toBeLessThan(TOL);
        expect(Math.abs(got.recall - want.recall), label).toBeLessThan(TOL);
        expect(Math.abs(got.fmeasure - want.fmeasure), label).toBeLessThan(TOL);
      }
  });

  it("the Porter stemmer equals NLTK's PorterStemmer() word for word", () => {
    const wrong = Object.entries(fixture.porter).filter(([w, s]) => porterStem(w) !== s);
    expect(wrong.map(([w, s]) => `${w}: ${porterStem(w)} ≠ ${s}`)).toEqual([]);
  });
});
