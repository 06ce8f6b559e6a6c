/**
 * Builds demo/*.jsonl.gz (canonical results format) from the real results in ../shared/data.
 * Run: npx tsx scripts/build-demo-data.ts [sharedDataDir] [outDir]
 * Only values the source files hold are written; nothing is invented (see demo/README.md).
 */
import { createReadStream, createWriteStream, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { MMLU_CATEGORY } from '../ingest/benchmarks/mmlu-categories.ts';
import { mmluProSource } from '../ingest/benchmarks/mmlu-pro-source.ts';

const root = resolve(import.meta.dirname, '..');
const DATA = resolve(process.argv[2] ?? join(root, '../shared/data'));
const OUT = resolve(process.argv[3] ?? join(root, 'demo'));
/** Long chains of thought are cut to keep the demo small; the cut is marked. */
const MAX_RESPONSE = 2000;
const LETTERS = 'ABCDEFGHIJ';

type Row = Record<string, unknown>;

function readJsonl(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}

async function* readCsv(path: string): AsyncGenerator<Record<string, string>> {
  yield* createReadStream(path).pipe(parse({ columns: true }));
}

/** "1"/"0"/"" as the sources write correctness; "" (no gradable answer) stays null = unscored. */
function verdict(cell: string | undefined): boolean | null {
  if (cell === '1') return true;
  if (cell === '0') return false;
  if (cell === '' || cell === undefined) return null;
  throw new Error(`unexpected correct value ${JSON.stringify(cell)}`);
}

/** Writes records as gzipped JSONL to a temporary name, renamed on success. */
async function writeGz(name: string, records: AsyncIterable<Row> | Iterable<Row>): Promise<number> {
  const target = join(OUT, name);
  const tmp = `${target}.tmp`;
  let n = 0;
  async function* lines() {
    for await (const r of records) {
      n++;
      yield `${JSON.stringify(r)}\n`;
    }
  }
  await pipeline(lines(), createGzip({ level: 9 }), createWriteStream(tmp));
  renameSync(tmp, target);
  console.log(`${name}: ${n} records`);
  return n;
}

function category(subject: unknown): string {
  const c = MMLU_CATEGORY[String(subject)];
  if (!c) throw new Error(`no MMLU category for subject ${String(subject)}`);
  return c;
}

async function* mmluRedux(): AsyncGenerator<Row> {
  const items = new Map(readJsonl(join(DATA, 'mmlu_redux/items.jsonl')).map((i) => [i.item_id as string, i]));
  for (const file of ['results.csv', 'results_v1_extra.csv']) {
    for await (const row of readCsv(join(DATA, 'mmlu_redux', file))) {
      const it = items.get(row.item_id ?? '');
      if (!it) throw new Error(`mmlu_redux/${file}: item ${row.item_id} not in items.jsonl`);
      yield {
        benchmark: 'mmlu-redux',
        model: row.model,
        run: 'helm-5shot',
        item_id: row.item_id,
        correct: verdict(row.correct),
        answer: row.predicted === '' ? null : row.predicted,
        reference: LETTERS[it.answer as number],
        // the same fields as the bundled definition (benchmarks/mmlu-redux), so a run adds no half-empty field
        metadata: { subject: it.subject, category: category(it.subject), error_type: it.error_type },
      };
    }
  }
}

async function* mmluPro(): AsyncGenerator<Row> {
  const items = new Map(readJsonl(join(DATA, 'mmlu_pro/items.jsonl')).map((i) => [String(i.question_id), i]));
  for await (const row of readCsv(join(DATA, 'mmlu_pro/results.csv'))) {
    const it = items.get(row.question_id ?? '');
    if (!it) throw new Error(`mmlu_pro: question ${row.question_id} not in items.jsonl`);
    yield {
      benchmark: 'mmlu-pro',
      model: row.model,
      run: '5shot-cot',
      item_id: row.question_id,
      correct: verdict(row.correct),
      answer: row.pred === '' ? null : row.pred,
      reference: it.answer,
      metadata: { category: it.category, source: mmluProSource(String(it.src)) },
    };
  }
}

function* mathCot(): Generator<Row> {
  for (const p of readJsonl(join(DATA, 'model_outputs/math_cot_100.jsonl'))) {
    const level = /^Level (\d)$/.exec(String(p.level));
    const metadata: Row = { level: level ? Number(level[1]) : null };
    if (typeof p.subject === 'string') metadata.subject = p.subject;
    const scores = p.score as boolean[];
    const preds = p.pred as (string | null)[];
    const responses = (p.response ?? p.code) as string[];
    for (let k = 0; k < scores.length; k++) {
      const response = responses[k] ?? null;
      yield {
        benchmark: 'math',
        model: 'qwen2.5-math',
        run: 'cot-8samples',
        item_id: String(p.idx),
        sample: k,
        correct: scores[k],
        input: p.question,
        answer: preds[k] ?? null,
        response:
          response && response.length > MAX_RESPONSE
            ? `${response.slice(0, MAX_RESPONSE)} …[truncated]`
            : response,
        reference: p.gt,
        metadata,
      };
    }
  }
}

await writeGz('mmlu-redux.jsonl.gz', mmluRedux());
await writeGz('mmlu-pro.jsonl.gz', mmluPro());
await writeGz('math-cot.jsonl.gz', mathCot());
