/**
 * promptfoo `eval -o results.json` exports (results version 3). One record per result row
 * (test case × prompt × provider).
 *
 * Choices made here:
 * - Verdict = `success` (every assertion passed); `score` keeps the partial credit.
 * - promptfoo sets `error` also for assertion failures ("Latency 5794ms is greater than…"), so
 *   only `failureReason` 2 (ERROR), or an `error` with no response when `failureReason` is
 *   absent (older exports), makes the outcome `error`.
 * - item_id = `testIdx`; without one, a hash of the test's vars (stable across exports).
 * - Several prompt templates for one provider would collide on (run, item); the run label then
 *   gets `/p<n>` (the template's position among the export's distinct prompts).
 * - Metadata = test vars and test metadata that are short scalars (long prompts are input, not groups).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { CanonicalRecord, MetaValue } from '../../core/types.ts';
import { deriveOutcome } from './canonical.ts';
import { evaluatedAt } from './evaluated-at.ts';
import { checkFieldSizes, limitsOf } from './limits.ts';
import { asScalar, isObject, readJsonDocument } from './read.ts';
import type { Importer, ImportItem, ImportOptions } from './types.ts';

type Obj = Record<string, unknown>;
const MAX_META_STRING = 64;
const FAILURE_ERROR = 2;

/** Short scalar values of `vars`/`metadata`, the ones worth grouping by. */
function shortScalars(...sources: unknown[]): Record<string, MetaValue> {
  const out: Record<string, MetaValue> = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(isObject(src) ? src : {})) {
      const s = asScalar(v);
      if (s === undefined || (typeof s === 'string' && (s.length > MAX_META_STRING || s.includes('\n'))))
        continue;
      out[k] = s;
    }
  }
  return out;
}

/** A hash of the vars with sorted keys, so the same test gets the same id in any export. */
export function varsKey(vars: unknown): string {
  const sorted = isObject(vars)
    ? Object.fromEntries(Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)))
    : {};
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function providerName(p: unknown): string | null {
  if (typeof p === 'string') return p;
  if (!isObject(p)) return null;
  if (typeof p.label === 'string' && p.label) return p.label;
  return typeof p.id === 'string' ? p.id : null;
}

function toRecord(row: Obj, benchmark: string, model: string, run: string): CanonicalRecord {
  const response = isObject(row.response) ? row.response : {};
  const output = response.output;
  const message = typeof row.error === 'string' && row.error ? row.error : null;
  const isError =
    row.failureReason === FAILURE_ERROR ||
    (row.failureReason === undefined && message !== null && (output === undefined || output === null));
  const correct = isError || typeof row.success !== 'boolean' ? null : row.success;
  const derived = deriveOutcome(correct, isError ? message : null);
  const tokens = isObject(response.tokenUsage) ? response.tokenUsage : {};
  const testCase = isObject(row.testCase) ? row.testCase : {};
  const vars = isObject(row.vars) ? row.vars : testCase.vars;
  const expected = isObject(vars) ? asScalar(vars.expected ?? vars.answer) : undefined;
  const prompt = isObject(row.prompt) ? row.prompt : {};
  return {
    benchmark,
    model,
    run,
    item_id: typeof row.testIdx === 'number' ? String(row.testIdx) : varsKey(vars),
    sample: typeof row.repeatIndex === 'number' ? row.repeatIndex : 0,
    outcome: 'outcome' in derived ? derived.outcome : 'unscored',
    correct,
    score: num(row.score),
    metadata: shortScalars(vars, testCase.metadata),
    input: typeof prompt.raw === 'string' ? prompt.raw : null,
    response:
      typeof output === 'string'
        ? output
        : output === undefined || output === null
          ? null
          : JSON.stringify(output),
    reference: expected === undefined || expected === null ? null : String(expected),
    latency_ms: num(row.latencyMs),
    tokens_in: num(tokens.prompt),
    tokens_out: num(tokens.completion),
    cost_usd: num(row.cost) ?? num(response.cost),
    error: isError ? message : null,
    source: 'import:promptfoo',
  };
}

async function* readPromptfoo(path: string, options: ImportOptions): AsyncGenerator<ImportItem> {
  const file = basename(path);
  const limits = limitsOf(options);
  const doc = await readJsonDocument(path, { file, limits });
  const results = isObject(doc) && isObject(doc.results) ? doc.results : undefined;
  if (!isObject(doc) || !results || !Array.isArray(results.results)) {
    const message =
      'not a promptfoo export: expected results.results[] (version 3; version 2 table exports are not supported)';
    yield { line: 0, error: { file, line: 0, field: 'results', message } };
    return;
  }
  const config = isObject(doc.config) ? doc.config : {};
  const benchmark =
    options.benchmark ??
    (typeof config.description === 'string' && config.description ? config.description : 'promptfoo');
  const baseRun = options.run ?? (typeof doc.evalId === 'string' ? doc.evalId : 'default');
  const meta = isObject(doc.metadata) ? doc.metadata : {};
  // results.timestamp (ISO text); exports from promptfoo's database also carry createdAt in epoch ms
  const created = typeof doc.createdAt === 'number' ? doc.createdAt / 1000 : doc.createdAt;
  const evaluated = evaluatedAt(results.timestamp ?? meta.evaluationCreatedAt ?? created);
  const templates = [
    ...new Set(
      results.results.map((r) =>
        isObject(r) && isObject(r.prompt) ? String(r.prompt.label ?? r.prompt.raw) : '',
      ),
    ),
  ];
  for (const [i, row] of results.results.entries()) {
    const line = i + 1;
    const model = options.model ?? (isObject(row) ? providerName(row.provider) : null);
    if (!isObject(row) || !model) {
      yield { line, error: { file, line, field: 'provider', message: 'result row has no provider id' } };
      continue;
    }
    const template = isObject(row.prompt) ? String(row.prompt.label ?? row.prompt.raw) : '';
    const run = templates.length > 1 ? `${baseRun}/p${templates.indexOf(template)}` : baseRun;
    const record = { ...toRecord(row, benchmark, model, run), evaluated_at: evaluated };
    checkFieldSizes(record, limits, file, line);
    yield { line, record };
  }
}

export const promptfooImporter: Importer = {
  format: 'promptfoo',
  detect: (_path, head) =>
    /^\s*\{\s*"evalId"\s*:/.test(head) ||
    (/"results"\s*:\s*\{/.test(head) && /"(promptfooVersion|testIdx|promptIdx)"/.test(head)),
  read: (path, options) => readPromptfoo(path, options),
};
