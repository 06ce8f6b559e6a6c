/**
 * Output of the Qwen2.5-Math evaluation suite (`math_eval.py`, also used by BudgetThinker and
 * math-evaluation-harness): one JSON line per problem with `idx`, `gt`, `level` ("Level 3"),
 * and per sample the lists `pred` (extracted answers), `score` (grader verdicts, booleans) and
 * `code`/`response` (the model's text). Each problem becomes one item with one record per sample,
 * all in one run; the file names neither model nor benchmark, so they default to `qwen2.5-math`
 * and `math` (`--model` / `--benchmark` override).
 */
import { basename } from 'node:path';
import type { CanonicalRecord, MetaValue } from '../../core/types.ts';
import { checkFieldSizes, limitsOf } from './limits.ts';
import { isObject, readLines } from './read.ts';
import type { Importer, ImportItem, ImportOptions } from './types.ts';

function problemToRecords(p: Record<string, unknown>, options: ImportOptions): CanonicalRecord[] | string {
  if (p.idx === undefined || (typeof p.idx !== 'number' && typeof p.idx !== 'string')) return 'idx: required';
  if (!Array.isArray(p.score)) return 'score: must be a list of verdicts (one per sample)';
  const preds = Array.isArray(p.pred) ? p.pred : [];
  const texts = Array.isArray(p.response) ? p.response : Array.isArray(p.code) ? p.code : [];
  const metadata: Record<string, MetaValue> = {};
  const level = /^Level (\d+)$/.exec(String(p.level ?? ''));
  if (level) metadata.level = Number(level[1]);
  else if (typeof p.level === 'number') metadata.level = p.level;
  if (typeof p.subject === 'string') metadata.subject = p.subject;
  if (typeof p.type === 'string') metadata.subject = p.type;
  const out: CanonicalRecord[] = [];
  for (let k = 0; k < p.score.length; k++) {
    const v = p.score[k];
    if (typeof v !== 'boolean' && v !== 0 && v !== 1 && v !== null) return `score[${k}]: must be true/false`;
    const correct = v === null ? null : v === true || v === 1;
    const text = typeof texts[k] === 'string' ? (texts[k] as string) : null;
    out.push({
      benchmark: options.benchmark ?? 'math',
      model: options.model ?? 'qwen2.5-math',
      run: options.run ?? 'default',
      item_id: String(p.idx),
      sample: k,
      outcome: correct === null ? 'unscored' : correct ? 'correct' : 'incorrect',
      correct,
      score: null,
      metadata,
      input: typeof p.question === 'string' ? p.question : null,
      answer: preds[k] === null || preds[k] === undefined ? null : String(preds[k]),
      // kept whole: a response over the field limit is refused (413), never cut
      response: text,
      reference: p.gt === undefined ? null : String(p.gt),
      source: 'import:qwen-math',
    });
  }
  return out;
}

async function* read(path: string, options: ImportOptions): AsyncGenerator<ImportItem> {
  const file = basename(path);
  const limits = limitsOf(options);
  for await (const { line, text } of readLines(path, { file, limits })) {
    if (!text.trim()) continue;
    let p: unknown;
    try {
      p = JSON.parse(text);
    } catch (err) {
      yield { line, error: { file, line, field: '(line)', message: `not JSON: ${(err as Error).message}` } };
      continue;
    }
    const recs = isObject(p) ? problemToRecords(p, options) : 'the line must be a JSON object';
    if (typeof recs === 'string') {
      const [field, ...rest] = recs.split(': ');
      yield {
        line,
        error: { file, line, field: rest.length ? field! : '(line)', message: rest.join(': ') || recs },
      };
      continue;
    }
    for (const record of recs) {
      checkFieldSizes(record, limits, file, line);
      yield { line, record };
    }
  }
}

export const qwenMathImporter: Importer = {
  format: 'qwen-math',
  detect(_path, head) {
    const first = head.split('\n', 1)[0] ?? '';
    try {
      const p = JSON.parse(first);
      return isObject(p) && 'idx' in p && Array.isArray(p.score) && Array.isArray(p.pred) && 'gt' in p;
    } catch {
      return false;
    }
  },
  read,
};
