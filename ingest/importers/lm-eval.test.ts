import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../core/types.ts';
import { SHARED_DATA, tmpDir } from '../../test/helpers/tmp.ts';
import { lmEvalImporter, modelFromResults, parseSamplesName } from './lm-eval.ts';
import type { ImportItem, ImportOptions } from './types.ts';

const LM = join(SHARED_DATA, 'formats/lm-eval');
const { dir, cleanup } = tmpDir('evalhouse-lmeval-');
afterAll(cleanup);

async function all(path: string, options: ImportOptions = {}): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of lmEvalImporter.read(path, options)) out.push(item);
  return out;
}
const records = (items: ImportItem[]): CanonicalRecord[] =>
  items.flatMap((i) => ('record' in i ? [i.record] : []));

/** The raw rows, read here independently (Python's bare Infinity only appears as a metric value). */
function rawRows(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l.replace(/: (-?Infinity|NaN)([,}])/g, ': null$2')));
}

function samplesFile(folder: string, task: string): string {
  const f = readdirSync(join(LM, folder)).find((n) => n.startsWith(`samples_${task}_`));
  if (!f) throw new Error(`no samples file for ${task}`);
  return join(LM, folder, f);
}

describe('lm-eval importer on real runs', () => {
  it.each([
    ['negotiationtom_qwen3-8b', 'negotiationtom_belief', 'acc', 'Qwen/Qwen3-8B'],
    ['negotiationtom_qwen3-8b', 'negotiationtom_desire', 'acc', 'Qwen/Qwen3-8B'],
    ['negotiationtom_qwen3-8b', 'negotiationtom_intention', 'exact_match', 'Qwen/Qwen3-8B'],
    [
      'math_perturbed_qwen3-93m',
      'math_perturbed_full',
      'exact_match',
      'RylanSchaeffer/mem_Qwen3-93M_minerva_math_rep_0_sbst_1.0000_epch_1_ot_1',
    ],
  ])('%s / %s: one record per doc, verdict from %s, model %s', async (folder, task, metric, model) => {
    const path = samplesFile(folder, task);
    const rows = rawRows(path);
    const items = await all(path);
    const recs = records(items);
    expect(items.filter((i) => 'error' in i)).toEqual([]);
    expect(recs).toHaveLength(rows.length);
    expect(recs.filter((r) => r.correct === true)).toHaveLength(rows.filter((r) => r[metric] === 1).length);
    expect(recs.filter((r) => r.correct === false)).toHaveLength(rows.filter((r) => r[metric] === 0).length);
    expect(new Set(recs.map((r) => r.model))).toEqual(new Set([model]));
    expect(new Set(recs.map((r) => r.benchmark))).toEqual(new Set([task]));
    expect(recs.map((r) => r.item_id)).toEqual(rows.map((r) => String(r.doc_id)));
    expect(recs.map((r) => r.reference)).toEqual(rows.map((r) => r.target));
    expect(recs.every((r) => r.sample === 0 && r.source === 'import:lm-eval')).toBe(true);
  });

  it('agrees with the aggregate accuracy in results.json', async () => {
    const results = JSON.parse(
      readFileSync(join(LM, 'negotiationtom_qwen3-8b/results_2026-07-08T18-15-33.115417.json'), 'utf8'),
    );
    for (const [task, key] of [
      ['negotiationtom_belief', 'acc,none'],
      ['negotiationtom_desire', 'acc,none'],
      ['negotiationtom_intention', 'exact_match,none'],
    ] as const) {
      const recs = records(await all(samplesFile('negotiationtom_qwen3-8b', task)));
      const acc = recs.filter((r) => r.correct).length / recs.length;
      expect(acc).toBeCloseTo(results.results[task][key], 10);
    }
  });

  it('multiple choice: the answer is the argmax-loglik choice index, the response its text', async () => {
    const path = samplesFile('negotiationtom_qwen3-8b', 'negotiationtom_belief');
    const rows = rawRows(path);
    const recs = records(await all(path));
    rows.forEach((row, i) => {
      const lls = (row.filtered_resps as [string, string][]).map((p) => Number(p[0]));
      const argmax = lls.indexOf(Math.max(...lls));
      expect(recs[i]?.answer).toBe(String(argmax));
      // acc is 1 exactly when the argmax is the gold index.
      expect(recs[i]?.correct).toBe(String(argmax) === row.target);
    });
    expect(recs[0]?.metadata).toMatchObject({
      dialogue_id: '0-0',
      agent: 'agent_1',
      slot: 'high',
      mode: 'belief',
    });
    // Long text (the prompt, the dialogue list) is not metadata; nor is gold, which repeats the target.
    expect(Object.keys(recs[0]?.metadata ?? {})).not.toContain('prompt');
    expect(Object.keys(recs[0]?.metadata ?? {})).not.toContain('gold');
  });

  it('polymer (mae, lower is better, bare Infinity): score only, never a verdict', async () => {
    const path = samplesFile('polymer_tg_gpt-4o-mini', 'polymer_tg_prediction');
    const text = readFileSync(path, 'utf8');
    const infinite = (text.match(/"mae": Infinity/g) ?? []).length;
    const rows = rawRows(path);
    const recs = records(await all(path));
    expect(recs).toHaveLength(rows.length);
    expect(recs.every((r) => r.correct === null && r.outcome === 'unscored')).toBe(true);
    expect(recs.filter((r) => r.score === null)).toHaveLength(infinite);
    expect(recs.filter((r) => r.score !== null).map((r) => r.score)).toEqual(
      rows.filter((r) => typeof r.mae === 'number').map((r) => r.mae),
    );
    expect(new Set(recs.map((r) => r.model))).toEqual(new Set(['gpt-4o-mini']));
    expect(recs[0]?.metadata).toMatchObject({ Domain: 'Materials', Difficulty: 'Hard' });
    expect(recs[0]?.response).toBe('Tg: 200');
  });

  it('keeps filters apart in the run label and makes repeats samples', async () => {
    const base = {
      doc: { subject: 'algebra' },
      target: '4',
      arguments: { gen_args_0: { arg_0: 'Q: 2+2?', arg_1: {} } },
    };
    const lines = [
      {
        ...base,
        doc_id: 0,
        resps: [['4', '5', '4']],
        filtered_resps: ['4'],
        filter: 'strict-match',
        metrics: ['exact_match'],
        exact_match: 1,
      },
      {
        ...base,
        doc_id: 0,
        resps: [['4', '5', '4']],
        filtered_resps: ['4'],
        filter: 'flexible-extract',
        metrics: ['exact_match'],
        exact_match: 0,
      },
      {
        ...base,
        doc_id: 1,
        resps: [['4', '5', '4']],
        filtered_resps: ['4', '5', '4'],
        filter: 'pass',
        metrics: ['exact_match'],
        exact_match: [1, 0, 1],
      },
    ];
    const path = join(dir, 'samples_toy_2025-01-01T00-00-00.000001.jsonl');
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n'));
    writeFileSync(
      join(dir, 'results_2025-01-01T00-00-00.000001.json'),
      JSON.stringify({ config: { model_args: 'pretrained=org/toy,dtype=float16' } }),
    );
    const recs = records(await all(path));
    expect(recs.map((r) => [r.run, r.item_id, r.sample, r.correct, r.response])).toEqual([
      ['lm-eval-2025-01-01T00-00-00.000001/strict-match', '0', 0, true, '4'],
      ['lm-eval-2025-01-01T00-00-00.000001/flexible-extract', '0', 0, false, '4'],
      ['lm-eval-2025-01-01T00-00-00.000001/pass', '1', 0, true, '4'],
      ['lm-eval-2025-01-01T00-00-00.000001/pass', '1', 1, false, '5'],
      ['lm-eval-2025-01-01T00-00-00.000001/pass', '1', 2, true, '4'],
    ]);
    expect(recs[0]?.model).toBe('org/toy');
    expect(recs[0]?.metadata).toEqual({ subject: 'algebra', filter: 'strict-match' });
  });

  it('reports a missing results file instead of guessing the model, unless one is given', async () => {
    const path = join(dir, 'alone', 'samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl');
    mkdirSync(join(dir, 'alone'));
    copyFileSync(samplesFile('negotiationtom_qwen3-8b', 'negotiationtom_belief'), path);
    const items = await all(path);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ error: { field: 'model', line: 1 } });
    expect(records(await all(path, { model: 'qwen3-8b' }))).toHaveLength(20);
  });
});

describe('lm-eval helpers', () => {
  it('parses task and timestamp from the samples file name', () => {
    expect(parseSamplesName('/x/samples_math_perturbed_full_2026-01-21T03-44-18.458309.jsonl')).toEqual({
      task: 'math_perturbed_full',
      timestamp: '2026-01-21T03-44-18.458309',
    });
    expect(parseSamplesName('results.jsonl')).toBeNull();
  });

  it('reads the model from model_name or model_args in either shape', () => {
    expect(modelFromResults({ model_name: 'a/b' })).toBe('a/b');
    expect(modelFromResults({ config: { model_args: 'pretrained=x/y,trust_remote_code=True' } })).toBe('x/y');
    expect(modelFromResults({ config: { model_args: 'model=gpt-4o-mini' } })).toBe('gpt-4o-mini');
    expect(modelFromResults({ config: { model_args: { pretrained: 'q/r', dtype: 'bf16' } } })).toBe('q/r');
    expect(modelFromResults({})).toBeNull();
  });
});

describe('lm-eval zips', () => {
  const name = 'samples_t_2025-01-01T00-00-00.000000.jsonl';
  const line = `${JSON.stringify({ doc_id: 1, target: 'a', metrics: ['acc'], acc: 1 })}\n`;

  it('refuses an entry that points outside the archive, writing nothing there', async () => {
    const path = join(dir, 'slip.zip');
    writeFileSync(path, zipSync({ [`../../slipped/${name}`]: strToU8(line) }));
    const err = await all(path, { model: 'm' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', details: { file: 'slip.zip' } });
    expect(existsSync(join(dir, '..', 'slipped'))).toBe(false);
  });

  it('says so when the zip holds no samples file', async () => {
    const path = join(dir, 'empty.zip');
    writeFileSync(path, zipSync({ 'results_2025-01-01T00-00-00.000000.json': strToU8('{}') }));
    const err = await all(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE' });
    expect((err as Error).message).toMatch(/no lm-eval samples_<task>_<timestamp>\.jsonl/);
  });

  it('names the entry, and --model / ?model=, when a samples entry has no results file', async () => {
    const path = join(dir, 'nomodel.zip');
    writeFileSync(path, zipSync({ [`m1/${name}`]: strToU8(line) }));
    const items = await all(path);
    expect(items).toEqual([
      {
        line: 1,
        error: {
          file: `m1/${name}`,
          line: 1,
          field: 'model',
          message: expect.stringMatching(/--model.*\?model=/),
        },
      },
    ]);
    expect(records(await all(path, { model: 'm' }))).toMatchObject([
      { model: 'm', item_id: '1', correct: true },
    ]);
  });
});
