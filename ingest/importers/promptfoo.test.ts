import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CanonicalRecord } from '../../core/types.ts';
import { SHARED_DATA, tmpDir } from '../../test/helpers/tmp.ts';
import { promptfooImporter, varsKey } from './promptfoo.ts';
import type { ImportItem, ImportOptions } from './types.ts';

const EXPORT = join(SHARED_DATA, 'formats/promptfoo/sample-export.json');
const { dir, cleanup } = tmpDir('evalhouse-promptfoo-');
afterAll(cleanup);

async function all(path: string, options: ImportOptions = {}): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const item of promptfooImporter.read(path, options)) out.push(item);
  return out;
}
const records = (items: ImportItem[]): CanonicalRecord[] =>
  items.flatMap((i) => ('record' in i ? [i.record] : []));

describe('promptfoo importer on the real export', () => {
  const doc = JSON.parse(readFileSync(EXPORT, 'utf8'));
  /** The fields of a result row these tests read. */
  interface Row {
    provider: { id: string };
    testIdx: number;
    score: number;
    latencyMs: number;
    cost: number;
    success: boolean;
    failureReason: number;
    error: unknown;
    response: { tokenUsage: { prompt: number; completion: number } };
  }
  const rows: Row[] = doc.results.results;

  it('one record per result row with provider, test index, score, latency, tokens and cost', async () => {
    const recs = records(await all(EXPORT));
    expect(recs).toHaveLength(rows.length);
    expect(recs).toHaveLength(4);
    expect(
      recs.map((r) => [r.model, r.item_id, r.score, r.latency_ms, r.tokens_in, r.tokens_out, r.cost_usd]),
    ).toEqual(
      rows.map((row) => [
        row.provider.id,
        String(row.testIdx),
        row.score,
        row.latencyMs,
        row.response.tokenUsage.prompt,
        row.response.tokenUsage.completion,
        row.cost,
      ]),
    );
    expect(new Set(recs.map((r) => r.model))).toEqual(new Set(['openai:gpt-5', 'openai:gpt-5-mini']));
    expect(new Set(recs.map((r) => r.benchmark))).toEqual(new Set([doc.config.description]));
    expect(new Set(recs.map((r) => r.run))).toEqual(new Set([doc.evalId]));
  });

  it('an assertion failure (latency) is incorrect, not an error, though promptfoo fills `error`', async () => {
    const recs = records(await all(EXPORT));
    expect(
      rows.every((r) => r.success === false && r.failureReason === 1 && typeof r.error === 'string'),
    ).toBe(true);
    expect(recs.every((r) => r.outcome === 'incorrect' && r.correct === false && r.error === null)).toBe(
      true,
    );
    // (model, item) is unique, so no two rows collide on the result key.
    expect(new Set(recs.map((r) => `${r.model}|${r.run}|${r.item_id}|${r.sample}`)).size).toBe(4);
  });

  it('provider errors, passes, short vars as metadata, and hashed ids without testIdx', async () => {
    const base = rows[0] as unknown as Record<string, unknown>;
    const edited = structuredClone(doc);
    edited.results.results = [
      {
        ...base,
        success: true,
        score: 1,
        failureReason: 0,
        error: undefined,
        vars: { topic: 'wind', riddle: 'x'.repeat(100) },
      },
      { ...base, success: false, score: 0, failureReason: 2, error: 'API error: 500', response: undefined },
      { ...base, testIdx: undefined, vars: { b: 1, a: 'z' } },
    ];
    const path = join(dir, 'edited.json');
    writeFileSync(path, JSON.stringify(edited));
    const [pass, err, hashed] = records(await all(path, { benchmark: 'riddles' }));
    expect(pass).toMatchObject({
      outcome: 'correct',
      correct: true,
      score: 1,
      metadata: { topic: 'wind' },
      benchmark: 'riddles',
    });
    expect(err).toMatchObject({ outcome: 'error', correct: null, error: 'API error: 500', response: null });
    expect(hashed?.item_id).toBe(varsKey({ a: 'z', b: 1 }));
    expect(hashed?.metadata).toEqual({ b: 1, a: 'z' });
  });

  it('reports a file that is not an export', async () => {
    const path = join(dir, 'other.json');
    writeFileSync(path, JSON.stringify({ results: { table: {} } }));
    const items = await all(path);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ error: { field: 'results' } });
  });
});
