/** The bundled demo files (scripts/build-demo-data.ts) must import cleanly and match their sources row for row. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_DATA } from '../../test/helpers/tmp.ts';
import { canonicalImporter } from './canonical.ts';

const DEMO = new URL('../../demo/', import.meta.url).pathname;

/** The `correct` column (the last) of a source CSV, read without a CSV library: these files have no quoted cells. */
function correctColumn(file: string): string[] {
  const lines = readFileSync(join(SHARED_DATA, file), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '');
  return lines.map((l) => l.slice(l.lastIndexOf(',') + 1).trim());
}

async function summarise(file: string) {
  const s = {
    records: 0,
    errors: [] as unknown[],
    correct: 0,
    incorrect: 0,
    unscored: 0,
    models: new Set<string>(),
    keys: new Set<string>(),
  };
  for await (const item of canonicalImporter.read(join(DEMO, file), {})) {
    if ('error' in item) {
      s.errors.push(item.error);
      continue;
    }
    const r = item.record;
    s.records++;
    s.models.add(r.model);
    s.keys.add(`${r.model}|${r.run}|${r.item_id}|${r.sample}`);
    if (r.outcome === 'correct') s.correct++;
    else if (r.outcome === 'incorrect') s.incorrect++;
    else if (r.outcome === 'unscored') s.unscored++;
  }
  return s;
}

const count = (xs: string[], v: string) => xs.filter((x) => x === v).length;

describe('demo data through the canonical importer', () => {
  it('mmlu-redux: every row of results.csv + results_v1_extra.csv, 20 models', async () => {
    const src = [
      ...correctColumn('mmlu_redux/results.csv'),
      ...correctColumn('mmlu_redux/results_v1_extra.csv'),
    ];
    expect(src).toHaveLength(79_800 + 18_000);
    const s = await summarise('mmlu-redux.jsonl.gz');
    expect(s.errors).toEqual([]);
    expect(s.records).toBe(src.length);
    expect(s.keys.size).toBe(src.length);
    expect([s.correct, s.incorrect, s.unscored]).toEqual([count(src, '1'), count(src, '0'), count(src, '')]);
    expect(s.models.size).toBe(20);
  });

  it('mmlu-pro: every row of results.csv, 29 models', async () => {
    const src = correctColumn('mmlu_pro/results.csv');
    expect(src).toHaveLength(347_215);
    const s = await summarise('mmlu-pro.jsonl.gz');
    expect(s.errors).toEqual([]);
    expect(s.records).toBe(src.length);
    expect(s.keys.size).toBe(src.length);
    expect([s.correct, s.incorrect, s.unscored]).toEqual([count(src, '1'), count(src, '0'), count(src, '')]);
    expect(s.models.size).toBe(29);
  }, 120_000);

  it('math: 100 problems × 8 samples with the verdicts of math_cot_100.jsonl', async () => {
    const problems = readFileSync(join(SHARED_DATA, 'model_outputs/math_cot_100.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { idx: number; score: boolean[]; level: string });
    const verdicts = problems.flatMap((p) => p.score);
    expect(verdicts).toHaveLength(800);
    const s = await summarise('math-cot.jsonl.gz');
    expect(s.errors).toEqual([]);
    expect(s.records).toBe(800);
    expect(s.keys.size).toBe(800);
    expect(s.correct).toBe(verdicts.filter((v) => v === true).length);
    expect(s.incorrect).toBe(verdicts.filter((v) => v === false).length);

    const levels = new Map<string, unknown>();
    for await (const item of canonicalImporter.read(join(DEMO, 'math-cot.jsonl.gz'), {})) {
      if ('record' in item) levels.set(item.record.item_id, item.record.metadata.level);
    }
    for (const p of problems) expect(levels.get(String(p.idx))).toBe(Number(p.level.replace('Level ', '')));
  });
});
