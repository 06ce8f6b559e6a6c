/**
 * lm-evaluation-harness `--log_samples` output: `samples_<task>_<ts>.jsonl` plus the
 * `results_<ts>.json` beside it (model name, task configs). One line is one (doc, filter).
 *
 * Choices made here (each where the harness leaves it open):
 * - Verdict: the first metric listed on the rows that has a number per doc (`acc`,
 *   `exact_match`, `mae`, …; corpus metrics such as `micro_f1` hold lists and are skipped).
 *   For arc/hellaswag-style rows listing `acc` then `acc_norm`, that is `acc`. If
 *   every value of it in the file is 0 or 1 and higher is better, 1 → correct, 0 → incorrect;
 *   otherwise the value is only a `score` (outcome unscored). Non-finite values (bare
 *   `Infinity`/`NaN`) become a null score.
 * - Filters: a filter other than `none` is appended to the run label (`<run>/<filter>`), so
 *   `strict-match` and `flexible-extract` rows of one doc are two runs, not a key collision.
 * - Repeats: when the metric holds one value per repeat, each repeat is a sample 0..n-1;
 *   otherwise the doc is sample 0.
 * - Metadata: doc fields whose every value in the file is a short string, a small integer or a
 *   boolean, except fields that merely repeat the target.
 *
 * A zip of an output folder (samples and results files, in folders per model as lm-eval writes
 * them) is read too: that is how the CLI sends a folder, or a samples file with its results,
 * to a server. Each samples file of the zip is imported with the results file beside it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve, sep } from 'node:path';
import { errors } from '../../core/errors.ts';
import { makeScratchDir } from '../../core/scratch.ts';
import type { CanonicalRecord, MetaValue } from '../../core/types.ts';
import { deriveOutcome } from './canonical.ts';
import { evaluatedAt } from './evaluated-at.ts';
import { checkFieldSizes, limitsOf } from './limits.ts';
import { isObject, parseJsonLenient, type ReadContext, readJsonDocument, readLines } from './read.ts';
import type { Importer, ImportItem, ImportOptions } from './types.ts';
import { isZipFile, openZip } from './zip.ts';

const SAMPLES_NAME = /^samples_(.+)_(\d{4}-\d{2}-\d{2}T[\d.-]+)\.jsonl(\.gz)?$/;
const MAX_META_STRING = 64;
const MAX_META_INT = 100_000;

/** Task and timestamp from `samples_<task>_<ts>.jsonl`; null when the name is not lm-eval's. */
export function parseSamplesName(path: string): { task: string; timestamp: string } | null {
  const m = SAMPLES_NAME.exec(basename(path));
  return m?.[1] && m[2] ? { task: m[1], timestamp: m[2] } : null;
}

const RESULTS_NAME = /^results_.*\.json(\.gz)?$/;
export const isSamplesName = (name: string): boolean => SAMPLES_NAME.test(basename(name));
export const isResultsName = (name: string): boolean => RESULTS_NAME.test(basename(name));

/** The results file of a samples file: same timestamp, same folder; else the folder's only one; else null. */
export async function resultsFileFor(path: string): Promise<string | null> {
  const name = parseSamplesName(path);
  if (!name) return null;
  const dir = dirname(path);
  for (const exact of [`results_${name.timestamp}.json`, `results_${name.timestamp}.json.gz`])
    if (existsSync(join(dir, exact))) return join(dir, exact);
  // Without the matching timestamp, a lone results file is this run's; among several, none is safe to pick.
  const others = (await readdir(dir)).filter(isResultsName);
  return others.length === 1 && others[0] ? join(dir, others[0]) : null;
}

/** The results JSON of a samples file (see resultsFileFor); null when absent. */
export async function readResultsFor(
  path: string,
  limits = limitsOf({}),
): Promise<Record<string, unknown> | null> {
  const file = await resultsFileFor(path);
  if (!file) return null;
  const parsed = await readJsonDocument(file, { file: basename(file), limits }, parseJsonLenient);
  return isObject(parsed) ? parsed : null;
}

/** `model_name`, else `pretrained=`/`model=` from `config.model_args` (a string in 0.4.8/0.4.9, a dict in 0.4.13). */
export function modelFromResults(results: Record<string, unknown>): string | null {
  if (typeof results.model_name === 'string' && results.model_name) return results.model_name;
  const args = isObject(results.config) ? results.config.model_args : undefined;
  if (isObject(args)) {
    const v = args.pretrained ?? args.model;
    return typeof v === 'string' ? v : null;
  }
  if (typeof args === 'string') {
    const m = /(?:^|,)\s*(?:pretrained|model)=([^,]+)/.exec(args);
    return m?.[1] ?? null;
  }
  return null;
}

const isCategorical = (v: unknown): boolean =>
  v === null ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= MAX_META_INT) ||
  (typeof v === 'string' && v.length <= MAX_META_STRING && !v.includes('\n'));

interface Plan {
  metric: string | null;
  binary: boolean;
  metaFields: string[];
}

/** First pass over the file: which metric gives the verdict, whether it is 0/1, which doc fields are metadata. */
async function plan(path: string, ctx: ReadContext, higherIsBetter: Record<string, unknown>): Promise<Plan> {
  const nonNumeric = new Set<string>(); // metrics with a list or text per doc (corpus metrics)
  const nonBinary = new Set<string>(); // metrics with a value other than 0/1
  const listed: string[] = [];
  const fields = new Map<string, { ok: boolean; allTarget: boolean; allNull: boolean }>();
  for await (const { text } of readLines(path, ctx)) {
    if (text.trim() === '') continue;
    let row: unknown;
    try {
      row = parseJsonLenient(text);
    } catch {
      continue; // reported in the second pass
    }
    if (!isObject(row)) continue;
    for (const m of Array.isArray(row.metrics) ? row.metrics : []) {
      if (typeof m !== 'string') continue;
      if (!listed.includes(m)) listed.push(m);
      const values = Array.isArray(row[m]) ? (row[m] as unknown[]) : [row[m]];
      if (!values.every((v) => typeof v === 'number' || v === null)) nonNumeric.add(m);
      else if (!values.every((v) => v === 0 || v === 1 || v === null)) nonBinary.add(m);
    }
    if (isObject(row.doc)) {
      for (const [k, v] of Object.entries(row.doc)) {
        const f = fields.get(k) ?? { ok: true, allTarget: true, allNull: true };
        f.ok &&= isCategorical(v);
        f.allNull &&= v === null;
        f.allTarget &&= v !== null && String(v) === String(row.target);
        fields.set(k, f);
      }
    }
  }
  const metric = listed.find((m) => !nonNumeric.has(m)) ?? null;
  return {
    metric,
    binary: metric !== null && !nonBinary.has(metric) && higherIsBetter[metric] !== false,
    metaFields: [...fields].filter(([, f]) => f.ok && !f.allTarget && !f.allNull).map(([k]) => k),
  };
}

const text = (v: unknown): string | null =>
  typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v);

/** Chat API models log the prompt as a one-element list holding the JSON message list. */
const prompt = (v: unknown): string | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join('\n') : text(v);

/** Multiple choice rows hold `[loglik, is_greedy]` pairs (as strings); the prediction is the argmax. */
function predictedChoice(filtered: unknown): number | null {
  if (!Array.isArray(filtered) || !filtered.every((p) => Array.isArray(p) && p.length === 2)) return null;
  let best = -1;
  let bestLl = Number.NEGATIVE_INFINITY;
  filtered.forEach((p: unknown[], i) => {
    const ll = Number(p[0]);
    if (ll > bestLl) {
      bestLl = ll;
      best = i;
    }
  });
  return best >= 0 ? best : null;
}

function arg(row: Record<string, unknown>, i: number, which: 'arg_0' | 'arg_1'): unknown {
  const args = row.arguments;
  if (!isObject(args)) return undefined;
  const gen = args[`gen_args_${i}`];
  return isObject(gen) ? gen[which] : undefined;
}

export const NO_MODEL_MESSAGE =
  'no results_<timestamp>.json with model_name beside the samples file (import the whole output folder, or pass the model name: --model on the command line, ?model= over HTTP)';

/** One samples file; `file` is the name messages give it (its path inside a zip). */
async function* readSamples(
  path: string,
  options: ImportOptions,
  file = basename(path),
): AsyncGenerator<ImportItem> {
  const ctx: ReadContext = { file, limits: limitsOf(options) };
  const name = parseSamplesName(path);
  const results = await readResultsFor(path, ctx.limits);
  const model = options.model ?? (results ? modelFromResults(results) : null);
  if (!name || !model) {
    const message = !name
      ? 'file name is not samples_<task>_<timestamp>.jsonl; cannot tell the task'
      : NO_MODEL_MESSAGE;
    yield { line: 1, error: { file, line: 1, field: name ? 'model' : 'benchmark', message } };
    return;
  }
  const hib = isObject(results?.higher_is_better) ? results.higher_is_better[name.task] : undefined;
  const p = await plan(path, ctx, isObject(hib) ? hib : {});
  const benchmark = options.benchmark ?? name.task;
  const baseRun = options.run ?? `lm-eval-${name.timestamp}`;
  const evaluated = evaluatedAt(results?.date); // epoch seconds

  for await (const { line, text: lineText } of readLines(path, ctx)) {
    if (lineText.trim() === '') continue;
    let row: unknown;
    try {
      row = parseJsonLenient(lineText);
    } catch (err) {
      yield {
        line,
        error: { file, line, field: '(line)', message: `invalid JSON: ${(err as Error).message}` },
      };
      continue;
    }
    if (!isObject(row) || (typeof row.doc_id !== 'number' && typeof row.doc_id !== 'string')) {
      yield {
        line,
        error: { file, line, field: 'doc_id', message: 'each line must be an object with a doc_id' },
      };
      continue;
    }
    const doc = isObject(row.doc) ? row.doc : {};
    const metadata: Record<string, MetaValue> = {};
    for (const k of p.metaFields) metadata[k] = (doc[k] as MetaValue | undefined) ?? null;
    const filter = typeof row.filter === 'string' ? row.filter : 'none';
    if (filter !== 'none') metadata.filter = filter;

    const choice = predictedChoice(row.filtered_resps);
    const raw = p.metric ? row[p.metric] : undefined;
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    // Generations of a repeated doc sit in resps[0]; filtered_resps holds the filtered one(s).
    const gens = Array.isArray(row.resps) && Array.isArray(row.resps[0]) ? (row.resps[0] as unknown[]) : [];
    const filtered = Array.isArray(row.filtered_resps) ? row.filtered_resps : [];
    for (let s = 0; s < values.length; s++) {
      const v = values[s];
      const score = typeof v === 'number' ? v : null;
      const correct = p.binary && score !== null ? score === 1 : null;
      const derived = deriveOutcome(correct);
      const response =
        choice !== null
          ? text(arg(row, choice, 'arg_1'))?.trim()
          : text(values.length > 1 ? (gens[s] ?? null) : (filtered[0] ?? gens[0] ?? null));
      const record: CanonicalRecord = {
        benchmark,
        model,
        run: filter === 'none' ? baseRun : `${baseRun}/${filter}`,
        item_id: String(row.doc_id),
        sample: s,
        outcome: 'outcome' in derived ? derived.outcome : 'unscored',
        correct,
        score,
        metadata,
        input: prompt(arg(row, 0, 'arg_0')),
        response: response ?? null,
        answer: choice !== null ? String(choice) : null,
        reference: text(row.target),
        source: 'import:lm-eval',
        evaluated_at: evaluated,
      };
      checkFieldSizes(record, ctx.limits, file, line);
      yield { line, record };
    }
  }
}

/**
 * A zip of lm-eval output: its samples and results files are unpacked (entry by entry, within
 * the limits) into a scratch folder keeping their folders, then each samples file is read.
 */
async function* readZip(path: string, options: ImportOptions): AsyncGenerator<ImportItem> {
  const file = basename(path);
  const zip = await openZip(path, { file, limits: limitsOf(options) });
  const dir = makeScratchDir('lmeval');
  try {
    const samples = zip.names.filter(isSamplesName).sort();
    if (samples.length === 0)
      throw errors.corruptFile(file, 'the zip holds no lm-eval samples_<task>_<timestamp>.jsonl file');
    for (const name of [...zip.names.filter(isResultsName), ...samples]) {
      const dest = resolve(dir, ...posix.normalize(name).split('/'));
      if (!dest.startsWith(dir + sep))
        throw errors.corruptFile(file, `entry ${name} points outside the archive`);
      await mkdir(dirname(dest), { recursive: true });
      await zip.extract(name, dest);
    }
    for (const name of samples)
      yield* readSamples(resolve(dir, ...posix.normalize(name).split('/')), options, name);
  } finally {
    zip.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function* readLmEval(path: string, options: ImportOptions): AsyncGenerator<ImportItem> {
  if (await isZipFile(path)) yield* readZip(path, options);
  else yield* readSamples(path, options);
}

export const lmEvalImporter: Importer = {
  format: 'lm-eval',
  detect: (path, head) => parseSamplesName(path) !== null || /^\{"doc_id":/.test(head),
  read: (path, options) => readLmEval(path, options),
};
