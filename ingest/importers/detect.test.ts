import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_DATA, tmpDir } from '../../test/helpers/tmp.ts';
import { detectFormat, importerFor, importers } from './detect.ts';

const F = join(SHARED_DATA, 'formats');
const { dir, cleanup } = tmpDir('evalhouse-detect-');
afterAll(cleanup);

describe('detectFormat on real files', () => {
  it.each([
    [
      'lm-eval/negotiationtom_qwen3-8b/samples_negotiationtom_belief_2026-07-08T18-15-33.115417.jsonl',
      'lm-eval',
    ],
    [
      'lm-eval/polymer_tg_gpt-4o-mini/samples_polymer_tg_prediction_2025-06-30T19-40-09.461247.jsonl',
      'lm-eval',
    ],
    [
      'lm-eval/math_perturbed_qwen3-93m/samples_math_perturbed_full_2026-01-21T03-44-18.458309.jsonl',
      'lm-eval',
    ],
    ['inspect/data_arc_sonnet.json', 'inspect'],
    ['inspect/data_arc_qwen.json', 'inspect'],
    ['inspect/data_pubmedqa_gpt4o_mini.json', 'inspect'],
    ['inspect/2025-05-12T20-28-13-04-00_popularity.json', 'inspect'],
    ['inspect/2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval', 'inspect'],
    ['inspect/mmlu-summary-choices.eval', 'inspect'],
    ['promptfoo/sample-export.json', 'promptfoo'],
  ])('%s → %s', async (file, format) => {
    expect(await detectFormat(join(F, file))).toBe(format);
  });

  it('the demo files are canonical', async () => {
    const demo = new URL('../../demo/', import.meta.url).pathname;
    for (const f of ['mmlu-redux.jsonl.gz', 'mmlu-pro.jsonl.gz', 'math-cot.jsonl.gz']) {
      expect(await detectFormat(join(demo, f))).toBe('canonical');
    }
  });

  it('canonical CSV/JSONL (plain and gzipped); a renamed lm-eval file is still lm-eval by its first line', async () => {
    const csv = join(dir, 'r.csv.gz');
    writeFileSync(csv, gzipSync('benchmark,model,item_id,correct\nb,m,1,1\n'));
    expect(await detectFormat(csv)).toBe('canonical');
    const jsonl = join(dir, 'r.jsonl');
    writeFileSync(jsonl, '{"benchmark":"b","model":"m","item_id":1}\n');
    expect(await detectFormat(jsonl)).toBe('canonical');
    const renamed = join(dir, 'renamed.jsonl');
    writeFileSync(renamed, '{"doc_id": 0, "doc": {}, "target": "1"}\n');
    expect(await detectFormat(renamed)).toBe('lm-eval');
  });

  it('an unknown file is a clear error listing the formats', async () => {
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello');
    await expect(detectFormat(txt)).rejects.toThrow(/canonical, lm-eval, inspect, promptfoo/);
    const json = join(dir, 'other.json');
    writeFileSync(json, '{"a": 1}');
    await expect(detectFormat(json)).rejects.toThrow(/supported formats/);
    // a coded error, so callers (the import route, the CLI) need not read its text
    await expect(detectFormat(json)).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT', statusCode: 400 });
  });
});

describe('importerFor', () => {
  it('returns each registered importer and rejects others by listing them', () => {
    for (const [format, importer] of Object.entries(importers)) {
      expect(importerFor(format)).toBe(importer);
      expect(importer.format).toBe(format);
    }
    expect(() => importerFor('helm')).toThrow(
      'unknown import format "helm"; valid formats: canonical, lm-eval, inspect, promptfoo',
    );
    expect(() => importerFor('toString')).toThrow(/unknown import format/);
    expect(() => importerFor('helm')).toThrow(expect.objectContaining({ code: 'UNKNOWN_FORMAT' }));
  });
});

describe('detectFormat on zips', () => {
  it('tells an Inspect log from lm-eval output by the entry names, whatever the file is called', async () => {
    const inspect = join(dir, 'log.zip');
    writeFileSync(
      inspect,
      zipSync({ 'header.json': strToU8('{}'), 'samples/1_epoch_1.json': strToU8('{}') }),
    );
    expect(await detectFormat(inspect)).toBe('inspect');
    const lm = join(dir, 'out.zip');
    writeFileSync(lm, zipSync({ 'm/samples_t_2025-01-01T00-00-00.000000.jsonl': strToU8('{}\n') }));
    expect(await detectFormat(lm)).toBe('lm-eval');
    const other = join(dir, 'other.zip');
    writeFileSync(other, zipSync({ 'notes.txt': strToU8('hi') }));
    await expect(detectFormat(other)).rejects.toThrow(/cannot tell the format of other\.zip/);
  });
});
