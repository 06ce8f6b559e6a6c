/**
 * Deterministic generator of GENERATED (synthetic) canonical records, for speed benchmarks only.
 * These are not real evaluation results: benchmark slugs start with `gen-`, model names with `gen-model-`.
 *
 * Shape: 20 models × 6 benchmarks; every item carries subject (57), category (4, fixed per subject),
 * year (10), difficulty (5 levels). Item count is chosen so rows = models × items (one sample each).
 * Correctness follows a 2-parameter logistic model: P(correct) = σ(1.7 (θ_model − b_item + offset_bench)),
 * so accuracies look real-ish (about 30–90 % per model, lower at higher difficulty). About 2 % of answers
 * are unscored and 1 % are errors.
 *
 *   npx tsx perf/generate.ts --rows 1000 [--out file.jsonl]   (writes canonical JSONL; stdout by default)
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../core/stats/testing/prng.ts';
import type { CanonicalRecord, MetaValue } from '../core/types.ts';

/** mulberry32 (the tests' seeded PRNG): small, fast, deterministic. */
export const prng = mulberry32;

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const CATEGORIES = ['STEM', 'humanities', 'social sciences', 'other'] as const;
/** 57 MMLU-style subject names with a fixed category each. */
const SUBJECTS: [string, (typeof CATEGORIES)[number]][] = [
  ['abstract_algebra', 'STEM'],
  ['anatomy', 'STEM'],
  ['astronomy', 'STEM'],
  ['business_ethics', 'other'],
  ['clinical_knowledge', 'other'],
  ['college_biology', 'STEM'],
  ['college_chemistry', 'STEM'],
  ['college_computer_science', 'STEM'],
  ['college_mathematics', 'STEM'],
  ['college_medicine', 'other'],
  ['college_physics', 'STEM'],
  ['computer_security', 'STEM'],
  ['conceptual_physics', 'STEM'],
  ['econometrics', 'social sciences'],
  ['electrical_engineering', 'STEM'],
  ['elementary_mathematics', 'STEM'],
  ['formal_logic', 'humanities'],
  ['global_facts', 'other'],
  ['high_school_biology', 'STEM'],
  ['high_school_chemistry', 'STEM'],
  ['high_school_computer_science', 'STEM'],
  ['high_school_european_history', 'humanities'],
  ['high_school_geography', 'social sciences'],
  ['high_school_government_and_politics', 'social sciences'],
  ['high_school_macroeconomics', 'social sciences'],
  ['high_school_mathematics', 'STEM'],
  ['high_school_microeconomics', 'social sciences'],
  ['high_school_physics', 'STEM'],
  ['high_school_psychology', 'social sciences'],
  ['high_school_statistics', 'STEM'],
  ['high_school_us_history', 'humanities'],
  ['high_school_world_history', 'humanities'],
  ['human_aging', 'other'],
  ['human_sexuality', 'social sciences'],
  ['international_law', 'humanities'],
  ['jurisprudence', 'humanities'],
  ['logical_fallacies', 'humanities'],
  ['machine_learning', 'STEM'],
  ['management', 'other'],
  ['marketing', 'other'],
  ['medical_genetics', 'other'],
  ['miscellaneous', 'other'],
  ['moral_disputes', 'humanities'],
  ['moral_scenarios', 'humanities'],
  ['nutrition', 'other'],
  ['philosophy', 'humanities'],
  ['prehistory', 'humanities'],
  ['professional_accounting', 'other'],
  ['professional_law', 'humanities'],
  ['professional_medicine', 'other'],
  ['professional_psychology', 'social sciences'],
  ['public_relations', 'social sciences'],
  ['security_studies', 'social sciences'],
  ['sociology', 'social sciences'],
  ['us_foreign_policy', 'social sciences'],
  ['virology', 'other'],
  ['world_religions', 'humanities'],
];
export const SUBJECT_NAMES = SUBJECTS.map((s) => s[0]);
export const CATEGORY_NAMES = [...CATEGORIES];
export const YEARS = Array.from({ length: 10 }, (_, i) => 2015 + i);
export const DIFFICULTIES = [1, 2, 3, 4, 5];

/** Six generated benchmarks: slug, share of the items, logit offset (easier > 0), whether it has a score. */
const BENCHMARKS: { slug: string; share: number; offset: number; scored: boolean }[] = [
  { slug: 'gen-knowledge', share: 0.3, offset: 0.6, scored: false },
  { slug: 'gen-knowledge-pro', share: 0.2, offset: -0.3, scored: false },
  { slug: 'gen-math', share: 0.15, offset: -0.6, scored: true },
  { slug: 'gen-reasoning', share: 0.15, offset: 0.0, scored: false },
  { slug: 'gen-science', share: 0.1, offset: 0.2, scored: false },
  { slug: 'gen-olympiad', share: 0.1, offset: -1.5, scored: true },
];
export const BENCHMARK_SLUGS = BENCHMARKS.map((b) => b.slug);
export const MODEL_COUNT = 20;
export const MODEL_NAMES = Array.from(
  { length: MODEL_COUNT },
  (_, i) => `gen-model-${String(i + 1).padStart(2, '0')}`,
);
const LETTERS = ['A', 'B', 'C', 'D'];

interface Item {
  key: string;
  b: number;
  metadata: Record<string, MetaValue>;
}

export interface Plan {
  /** Rows that will be produced: models × items. */
  rows: number;
  items: number;
  itemsPerBenchmark: number[];
}

/** Items = round(rows / 20), split over the 6 benchmarks by share (the last takes the remainder). */
export function plan(rows: number): Plan {
  const items = Math.max(BENCHMARKS.length, Math.round(rows / MODEL_COUNT));
  const per = BENCHMARKS.map((b) => Math.max(1, Math.floor(items * b.share)));
  per[per.length - 1]! += items - per.reduce((s, x) => s + x, 0);
  return { rows: items * MODEL_COUNT, items, itemsPerBenchmark: per };
}

function makeItems(benchIndex: number, count: number, seed: number): Item[] {
  const rand = prng(seed * 7919 + benchIndex * 104729 + 1);
  const subjectOffset = SUBJECTS.map(() => 0.6 * gaussian(rand));
  const out: Item[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = Math.floor(rand() * SUBJECTS.length);
    const [subject, category] = SUBJECTS[s]!;
    const b = gaussian(rand) + subjectOffset[s]!;
    // 5 levels by fixed cut points of b (roughly quintiles of N(0, 1.17²))
    const difficulty = b < -0.98 ? 1 : b < -0.3 ? 2 : b < 0.3 ? 3 : b < 0.98 ? 4 : 5;
    out[i] = {
      key: `${BENCHMARKS[benchIndex]!.slug}-${String(i).padStart(7, '0')}`,
      b,
      metadata: { subject, category, year: YEARS[Math.floor(rand() * YEARS.length)]!, difficulty },
    };
  }
  return out;
}

interface Model {
  name: string;
  theta: number;
  latency: number;
  priceIn: number;
  priceOut: number;
}

function makeModels(seed: number): Model[] {
  const rand = prng(seed * 31 + 17);
  return MODEL_NAMES.map((name) => ({
    name,
    theta: 0.4 + 0.9 * gaussian(rand),
    latency: 300 + 2500 * rand(),
    priceIn: 0.1 + 5 * rand(),
    priceOut: 0.4 + 15 * rand(),
  }));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Yields batches of generated records in (benchmark, model, item) order: one run per (benchmark, model),
 * as an import of one harness output file would. Same seed and rows give the same records.
 */
export function* generateBatches(rows: number, batchSize = 50_000, seed = 42): Generator<CanonicalRecord[]> {
  const p = plan(rows);
  const models = makeModels(seed);
  let batch: CanonicalRecord[] = [];
  for (let bi = 0; bi < BENCHMARKS.length; bi++) {
    const bench = BENCHMARKS[bi]!;
    const items = makeItems(bi, p.itemsPerBenchmark[bi]!, seed);
    for (let mi = 0; mi < models.length; mi++) {
      const m = models[mi]!;
      const rand = prng(seed * 1_000_003 + bi * 1009 + mi * 13 + 5);
      for (const it of items) {
        const u = rand();
        const pc = sigmoid(1.7 * (m.theta - it.b + bench.offset));
        const correct = rand() < pc;
        const ref = LETTERS[it.b > 0 ? 1 : 2]!;
        const tokensIn = 150 + Math.floor(rand() * 650);
        const tokensOut = 5 + Math.floor(rand() * rand() * 800);
        const latency = Math.round(m.latency * Math.exp(0.4 * gaussian(rand)) + tokensOut * 8);
        const cost = (tokensIn * m.priceIn + tokensOut * m.priceOut) / 1e6;
        let r: CanonicalRecord;
        if (u < 0.01) {
          r = {
            benchmark: bench.slug,
            model: m.name,
            item_id: it.key,
            sample: 0,
            outcome: 'error',
            correct: null,
            score: null,
            metadata: it.metadata,
            reference: ref,
            latency_ms: latency,
            error: u < 0.005 ? 'timeout after 60000 ms' : '429 rate limited (retries exhausted)',
            source: 'import:generated',
          };
        } else if (u < 0.03) {
          r = {
            benchmark: bench.slug,
            model: m.name,
            item_id: it.key,
            sample: 0,
            outcome: 'unscored',
            correct: null,
            score: null,
            metadata: it.metadata,
            response: 'I cannot determine the answer.',
            answer: null,
            reference: ref,
            latency_ms: latency,
            tokens_in: tokensIn,
            tokens_out: tokensOut,
            cost_usd: cost,
            source: 'import:generated',
          };
        } else {
          const answer = correct ? ref : LETTERS[(LETTERS.indexOf(ref) + 1 + Math.floor(rand() * 3)) % 4]!;
          r = {
            benchmark: bench.slug,
            model: m.name,
            item_id: it.key,
            sample: 0,
            outcome: correct ? 'correct' : 'incorrect',
            correct,
            score: bench.scored ? (correct ? 1 : Math.round(rand() * 50) / 100) : null,
            metadata: it.metadata,
            response: `The answer is ${answer}.`,
            answer,
            reference: ref,
            latency_ms: latency,
            tokens_in: tokensIn,
            tokens_out: tokensOut,
            cost_usd: cost,
            source: 'import:generated',
          };
        }
        batch.push(r);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * `rows` generated records over `items` items (rows/items models): the 20 generated models over
 * items × 20 rows, repeated under suffixed model names (`gen-model-01-1`, …). With 4M rows and 50k items:
 * 80 models over the same 50k items.
 */
export function* fixedItemBatches(
  rows: number,
  items: number,
  batchSize = 50_000,
): Generator<CanonicalRecord[]> {
  const base = Math.min(rows, items * MODEL_COUNT);
  for (let rep = 0; rep < Math.max(1, Math.round(rows / base)); rep++)
    for (const batch of generateBatches(base, batchSize))
      yield rep === 0 ? batch : batch.map((r) => ({ ...r, model: `${r.model}-${rep}` }));
}

/** The items of generateBatches(rows, …, seed) once each, without the per-model records. */
export function* generateItems(
  rows: number,
  seed = 42,
): Generator<{ benchmark: string; item_id: string; reference: string; metadata: Record<string, MetaValue> }> {
  const p = plan(rows);
  for (let bi = 0; bi < BENCHMARKS.length; bi++) {
    for (const it of makeItems(bi, p.itemsPerBenchmark[bi]!, seed)) {
      yield {
        benchmark: BENCHMARKS[bi]!.slug,
        item_id: it.key,
        reference: LETTERS[it.b > 0 ? 1 : 2]!,
        metadata: it.metadata,
      };
    }
  }
}

/** The canonical JSONL form of a record (the `evalhouse import` input format). */
export function toJsonl(r: CanonicalRecord): string {
  const o: Record<string, unknown> = {
    benchmark: r.benchmark,
    model: r.model,
    item_id: r.item_id,
    correct: r.correct,
    score: r.score,
    metadata: r.metadata,
  };
  if (r.outcome === 'unscored' || r.outcome === 'error') o.outcome = r.outcome;
  for (const k of [
    'response',
    'answer',
    'reference',
    'latency_ms',
    'tokens_in',
    'tokens_out',
    'cost_usd',
    'error',
  ] as const) {
    if (r[k] !== undefined) o[k] = r[k];
  }
  return JSON.stringify(o);
}

/** Writes N generated records as canonical JSONL; resolves when the file is flushed. */
export async function writeJsonl(path: string, rows: number, seed = 42): Promise<number> {
  const out = createWriteStream(path);
  let n = 0;
  for (const batch of generateBatches(rows, 50_000, seed)) {
    const text = `${batch.map(toJsonl).join('\n')}\n`;
    n += batch.length;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000' },
      out: { type: 'string' },
      seed: { type: 'string', default: '42' },
    },
  });
  const rows = Number(values.rows);
  if (values.out) {
    const n = await writeJsonl(values.out, rows, Number(values.seed));
    console.error(`wrote ${n} generated records to ${values.out}`);
  } else {
    for (const batch of generateBatches(rows, 50_000, Number(values.seed)))
      process.stdout.write(`${batch.map(toJsonl).join('\n')}\n`);
  }
}
