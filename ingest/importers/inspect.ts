/**
 * Inspect AI eval logs: the JSON log (one document) and the `.eval` zip (header.json or
 * _journal/start.json, plus samples/<id>_epoch_<n>.json). One record per sample × epoch.
 *
 * Score mapping for the primary scorer (the first in `results.scores`, else the first key):
 * - "C" → correct (score 1), "I" → incorrect (score 0); booleans likewise.
 * - "P" (partial credit) → score 0.5, correct null, outcome unscored: half right is neither
 *   a pass nor a fail, and the score keeps the credit for mean-score analyses.
 * - "N" (no answer) → unscored, score null.
 * - A number → score only (correct null): its scale is the scorer's, not a verdict.
 * - A sample with `error` → outcome error with the error message, whatever its score.
 * Latency = `total_time` (wall clock of the sample), else `working_time`, else the model call's
 * `output.time` (older logs, e.g. 0.3.58, have only that). Tokens add up over `model_usage`.
 * `line` is the 1-based position of the sample in the log.
 */
import { basename } from 'node:path';
import { errors } from '../../core/errors.ts';
import type { CanonicalRecord, MetaValue } from '../../core/types.ts';
import { deriveOutcome } from './canonical.ts';
import { evaluatedAt } from './evaluated-at.ts';
import { checkFieldSizes, limitsOf } from './limits.ts';
import { asScalar, isObject, type ReadContext, readJsonDocument, withoutGz } from './read.ts';
import type { Importer, ImportItem, ImportOptions } from './types.ts';
import { isZipFile, openZip, readZipJson } from './zip.ts';

type Obj = Record<string, unknown>;

/** A log's header (eval, results, …) and its samples, read one at a time. */
export interface InspectLog {
  header: Obj;
  samples: AsyncIterable<Obj>;
  close(): void;
}

const SAMPLE_ENTRY = /^samples\/(.+)_epoch_(\d+)\.json$/;

/**
 * Zip entry order is arbitrary; order by epoch then id (from the entry name,
 * `samples/<id>_epoch_<n>.json`) so output is stable without reading the samples first.
 */
export function bySampleEntry(a: string, b: string): number {
  const [, ia = a, ea = '0'] = SAMPLE_ENTRY.exec(a) ?? [];
  const [, ib = b, eb = '0'] = SAMPLE_ENTRY.exec(b) ?? [];
  const e = Number(ea) - Number(eb);
  if (e !== 0) return e;
  return /^\d+$/.test(ia) && /^\d+$/.test(ib) ? Number(ia) - Number(ib) : ia.localeCompare(ib);
}

/** Reads a `.eval` zip entry by entry (the header, then each sample), or a JSON log whole. */
export async function openInspectLog(path: string, ctx: ReadContext): Promise<InspectLog> {
  const { file } = ctx;
  if (path.toLowerCase().endsWith('.eval') || (await isZipFile(path))) {
    const zip = await openZip(path, ctx);
    try {
      // header.json is written when the eval finishes; a running or crashed eval only has the journal.
      const header =
        (await readZipJson(zip, 'header.json', file)) ??
        (await readZipJson(zip, '_journal/start.json', file));
      if (!isObject(header))
        throw errors.corruptFile(file, 'no header.json or _journal/start.json in the .eval zip');
      const names = zip.names.filter((n) => /^samples\/.+\.json$/.test(n)).sort(bySampleEntry);
      async function* samples() {
        for (const n of names) {
          const s = await readZipJson(zip, n, file);
          if (isObject(s)) yield s;
        }
      }
      return { header, samples: samples(), close: () => zip.close() };
    } catch (err) {
      zip.close();
      throw err;
    }
  }
  const doc = await readJsonDocument(path, ctx);
  if (!isObject(doc)) throw errors.corruptFile(file, 'not an Inspect log (expected a JSON object)');
  const list = Array.isArray(doc.samples) ? doc.samples.filter(isObject) : [];
  async function* samples() {
    yield* list;
  }
  return { header: doc, samples: samples(), close: () => {} };
}

/** The verdict a score value gives: see the module comment. */
export function mapScoreValue(value: unknown): { correct: boolean | null; score: number | null } {
  if (value === 'C' || value === true) return { correct: true, score: 1 };
  if (value === 'I' || value === false) return { correct: false, score: 0 };
  if (value === 'P') return { correct: null, score: 0.5 };
  if (typeof value === 'number' && Number.isFinite(value)) return { correct: null, score: value };
  return { correct: null, score: null };
}

function primaryScorer(header: Obj, sample: Obj): string | undefined {
  const scores = isObject(sample.scores) ? Object.keys(sample.scores) : [];
  const results =
    isObject(header.results) && Array.isArray(header.results.scores) ? header.results.scores : [];
  const named = results.map((s: unknown) => (isObject(s) ? (s.name ?? s.scorer) : undefined));
  return named.find((n): n is string => typeof n === 'string' && scores.includes(n)) ?? scores[0];
}

/** Message content: a string, or a list of parts of which the text ones count. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const parts = content.filter((p) => isObject(p) && p.type === 'text' && typeof p.text === 'string');
  return parts.length > 0 ? parts.map((p) => (p as Obj).text).join('\n') : null;
}

/** Content may be replaced by `attachment://<hash>`, resolved through the sample's attachments. */
function resolve(sample: Obj, s: string | null): string | null {
  if (s?.startsWith('attachment://') && isObject(sample.attachments)) {
    const a = sample.attachments[s.slice('attachment://'.length)];
    return typeof a === 'string' ? a : s;
  }
  return s;
}

function completion(sample: Obj): string | null {
  const out = isObject(sample.output) ? sample.output : {};
  if (typeof out.completion === 'string') return resolve(sample, out.completion);
  const first = Array.isArray(out.choices) ? out.choices[0] : undefined;
  const message = isObject(first) && isObject(first.message) ? first.message : undefined;
  return resolve(sample, message ? contentText(message.content) : null);
}

function inputText(sample: Obj): string | null {
  if (typeof sample.input === 'string') return resolve(sample, sample.input);
  if (!Array.isArray(sample.input)) return null;
  const texts = sample.input
    .map((m) => (isObject(m) ? resolve(sample, contentText(m.content)) : null))
    .filter((t): t is string => t !== null);
  return texts.length > 0 ? texts.join('\n\n') : null;
}

const seconds = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1000) : null;

function usage(sample: Obj): {
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
} {
  let tokensIn: number | null = null;
  let tokensOut: number | null = null;
  let cost: number | null = null;
  const add = (acc: number | null, v: unknown) => (typeof v === 'number' ? (acc ?? 0) + v : acc);
  // A sample may call several models (solver, grader); their usage adds up.
  for (const u of Object.values(isObject(sample.model_usage) ? sample.model_usage : {})) {
    if (!isObject(u)) continue;
    tokensIn = add(tokensIn, u.input_tokens);
    tokensOut = add(tokensOut, u.output_tokens);
    cost = add(cost, u.total_cost);
  }
  return { tokens_in: tokensIn, tokens_out: tokensOut, cost_usd: cost };
}

function errorMessage(e: unknown): string | null {
  if (typeof e === 'string') return e || null;
  if (isObject(e)) return typeof e.message === 'string' ? e.message : JSON.stringify(e);
  return null;
}

function toRecord(
  header: Obj,
  sample: Obj,
  options: ImportOptions,
  model: string,
  benchmark: string,
  run: string,
) {
  const scorer = primaryScorer(header, sample);
  const score = scorer && isObject(sample.scores) ? sample.scores[scorer] : undefined;
  const error = errorMessage(sample.error);
  const mapped = error
    ? { correct: null, score: null }
    : mapScoreValue(isObject(score) ? score.value : undefined);
  const derived = deriveOutcome(mapped.correct, error);
  const metadata: Record<string, MetaValue> = {};
  for (const [k, v] of Object.entries(isObject(sample.metadata) ? sample.metadata : {})) {
    const s = asScalar(v);
    if (s !== undefined) metadata[k] = s;
  }
  const target = Array.isArray(sample.target) ? sample.target.join(' | ') : sample.target;
  const out = isObject(sample.output) ? sample.output : {};
  const record: CanonicalRecord = {
    benchmark: options.benchmark ?? benchmark,
    model,
    run,
    item_id: String(sample.id),
    sample: typeof sample.epoch === 'number' ? sample.epoch - 1 : 0,
    outcome: 'outcome' in derived ? derived.outcome : 'unscored',
    correct: mapped.correct,
    score: mapped.score,
    metadata,
    input: inputText(sample),
    response: completion(sample),
    answer: isObject(score) && typeof score.answer === 'string' ? score.answer : null,
    reference: typeof target === 'string' ? target : null,
    latency_ms: seconds(sample.total_time) ?? seconds(sample.working_time) ?? seconds(out.time),
    ...usage(sample),
    error,
    source: 'import:inspect',
  };
  return record;
}

async function* readInspect(path: string, options: ImportOptions): AsyncGenerator<ImportItem> {
  const ctx = { file: basename(path), limits: limitsOf(options) };
  const { file } = ctx;
  const log = await openInspectLog(path, ctx);
  try {
    const ev = isObject(log.header.eval) ? log.header.eval : {};
    const model = options.model ?? (typeof ev.model === 'string' ? ev.model : null);
    const benchmark = typeof ev.task === 'string' ? ev.task : null;
    if (!model || !(options.benchmark ?? benchmark)) {
      yield {
        line: 0,
        error: { file, line: 0, field: 'eval', message: 'log has no eval.model / eval.task' },
      };
      return;
    }
    const run = options.run ?? String(ev.run_id ?? ev.eval_id ?? 'default');
    let line = 0;
    for await (const sample of log.samples) {
      line++;
      if (sample.id === undefined || sample.id === null) {
        yield { line, error: { file, line, field: 'id', message: 'sample has no id' } };
        continue;
      }
      const record = {
        ...toRecord(log.header, sample, options, model, benchmark ?? '', run),
        evaluated_at: evaluatedAt(ev.created),
      };
      checkFieldSizes(record, ctx.limits, file, line);
      yield { line, record };
    }
  } finally {
    log.close();
  }
}

export const inspectImporter: Importer = {
  format: 'inspect',
  detect(path, head) {
    if (withoutGz(path).toLowerCase().endsWith('.eval')) return true;
    // JSON logs start {"version": 2, "status": ..., "eval": {...}}.
    return (
      /^\s*\{\s*"version"\s*:\s*\d+\s*,\s*"status"\s*:/.test(head) || /^\s*\{\s*"eval"\s*:\s*\{/.test(head)
    );
  },
  read: (path, options) => readInspect(path, options),
};
