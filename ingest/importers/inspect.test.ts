import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../core/types.ts';
import { SHARED_DATA, tmpDir } from '../../test/helpers/tmp.ts';
import { inspectImporter, mapScoreValue } from './inspect.ts';
import type { ImportItem, ImportOptions } from './types.ts';

const INSPECT = join(SHARED_DATA, 'formats/inspect');
const { dir, cleanup } = tmpDir('evalhouse-inspect-');
afterAll(cleanup);

async function all(path: string, options: ImportOptions = {}): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of inspectImporter.read(path, options)) out.push(item);
  return out;
}
const records = (items: ImportItem[]): CanonicalRecord[] =>
  items.flatMap((i) => ('record' in i ? [i.record] : []));

type Sample = {
  id: string | number;
  epoch: number;
  scores: Record<string, { value: unknown }>;
  metadata?: Record<string, unknown>;
};

/** Header and samples straight from the file, without the importer. */
function raw(file: string): { eval: Record<string, unknown>; samples: Sample[] } {
  const path = join(INSPECT, file);
  if (!file.endsWith('.eval')) return JSON.parse(readFileSync(path, 'utf8'));
  const zip = unzipSync(readFileSync(path));
  const header = JSON.parse(strFromU8(zip['header.json'] as Uint8Array));
  const samples = Object.keys(zip)
    .filter((n) => n.startsWith('samples/'))
    .map((n) => JSON.parse(strFromU8(zip[n] as Uint8Array)));
  return { eval: header.eval, samples };
}

const LOGS = [
  'data_arc_sonnet.json',
  'data_arc_qwen.json',
  'data_pubmedqa_gpt4o_mini.json',
  '2025-05-12T20-28-13-04-00_popularity.json',
  '2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval',
  'mmlu-summary-choices.eval',
];

describe('Inspect importer on real logs', () => {
  it.each(LOGS)('%s: one record per sample × epoch, C/I counted as in the log', async (file) => {
    const log = raw(file);
    const recs = records(await all(join(INSPECT, file)));
    const values = log.samples.map((s) => Object.values(s.scores)[0]?.value);
    expect(recs).toHaveLength(log.samples.length);
    expect(recs.filter((r) => r.correct === true)).toHaveLength(values.filter((v) => v === 'C').length);
    expect(recs.filter((r) => r.correct === false)).toHaveLength(values.filter((v) => v === 'I').length);
    expect(new Set(recs.map((r) => r.model))).toEqual(new Set([log.eval.model]));
    expect(new Set(recs.map((r) => r.benchmark))).toEqual(new Set([log.eval.task]));
    expect(new Set(recs.map((r) => r.run))).toEqual(new Set([log.eval.run_id]));
    expect(recs.map((r) => `${r.item_id}#${r.sample}`).sort()).toEqual(
      log.samples.map((s) => `${s.id}#${s.epoch - 1}`).sort(),
    );
  });

  it('the README facts: sonnet 5/5, qwen 1 of 3, popularity.eval 8 of 10, mmlu 0 of 1', async () => {
    const correct = async (f: string) => records(await all(join(INSPECT, f))).filter((r) => r.correct).length;
    expect(await correct('data_arc_sonnet.json')).toBe(5);
    expect(await correct('data_arc_qwen.json')).toBe(1);
    expect(await correct('2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval')).toBe(8);
    expect(await correct('mmlu-summary-choices.eval')).toBe(0);
  });

  it('maps metadata, reference, answer, latency and tokens', async () => {
    const [mmlu] = records(await all(join(INSPECT, 'mmlu-summary-choices.eval')));
    const sample = raw('mmlu-summary-choices.eval').samples[0] as unknown as {
      target: string;
      total_time: number;
      scores: { choice: { answer: string } };
      model_usage: Record<string, { input_tokens: number; output_tokens: number }>;
    };
    expect(mmlu).toMatchObject({
      item_id: '1',
      sample: 0,
      outcome: 'incorrect',
      metadata: { subject: 'college_physics' },
      reference: sample.target,
      answer: sample.scores.choice.answer,
      latency_ms: Math.round(sample.total_time * 1000),
      tokens_in: sample.model_usage['openai/gpt-4o']?.input_tokens,
      tokens_out: sample.model_usage['openai/gpt-4o']?.output_tokens,
    });
    // The popularity log's test-only nested metadata is not a groupable scalar: dropped.
    const pop = records(await all(join(INSPECT, '2025-05-12T20-28-13-04-00_popularity.json')));
    expect(pop[0]?.metadata).toEqual({ label_confidence: 0.8860552919198255 });
    // pubmedqa has no output.completion: the response comes from the first choice's message.
    const pub = records(await all(join(INSPECT, 'data_pubmedqa_gpt4o_mini.json')));
    expect(pub.map((r) => r.item_id)).toEqual(['12377809', '26163474']);
    expect(pub.every((r) => typeof r.response === 'string' && r.response.length > 0)).toBe(true);
  });

  it('epochs, errors and partial credit in a log', async () => {
    const log = JSON.parse(readFileSync(join(INSPECT, 'data_arc_qwen.json'), 'utf8'));
    const s = log.samples[0];
    log.samples = [
      { ...s, id: 'a', epoch: 1, scores: { choice: { value: 'C' } } },
      { ...s, id: 'a', epoch: 2, scores: { choice: { value: 'P' } } },
      { ...s, id: 'a', epoch: 3, scores: { choice: { value: 'N' } } },
      { ...s, id: 'b', epoch: 1, scores: {}, error: { message: 'RateLimitError: 429', traceback: '...' } },
      { ...s, id: 'c', epoch: 1, scores: { choice: { value: 0.25 } } },
    ];
    const path = join(dir, 'epochs.json');
    writeFileSync(path, JSON.stringify(log));
    const recs = records(await all(path, { run: 'mine' }));
    expect(recs.map((r) => [r.item_id, r.sample, r.outcome, r.correct, r.score, r.error ?? null])).toEqual([
      ['a', 0, 'correct', true, 1, null],
      ['a', 1, 'unscored', null, 0.5, null],
      ['a', 2, 'unscored', null, null, null],
      ['b', 0, 'error', null, null, 'RateLimitError: 429'],
      ['c', 0, 'unscored', null, 0.25, null],
    ]);
    expect(new Set(recs.map((r) => r.run))).toEqual(new Set(['mine']));
  });

  it('refuses an unreadable file as a corrupt file naming it', async () => {
    const path = join(dir, 'broken.eval');
    writeFileSync(path, 'not a zip');
    const err = await all(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_FILE', details: { file: 'broken.eval' } });
    expect((err as Error).message).toMatch(/^broken\.eval: not a readable zip file/);
  });
});

describe('mapScoreValue', () => {
  it.each([
    ['C', true, 1],
    ['I', false, 0],
    ['P', null, 0.5],
    ['N', null, null],
    [true, true, 1],
    [false, false, 0],
    [0.7, null, 0.7],
    [{ a: 1 }, null, null],
  ])('%j → correct %j, score %j', (value, correct, score) => {
    expect(mapScoreValue(value)).toEqual({ correct, score });
  });
});
