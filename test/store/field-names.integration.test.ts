import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { importFile } from '../../ingest/import-file.ts';
import { tmpDir } from '../helpers/tmp.ts';

const rec = (item: number, metadata: CanonicalRecord['metadata']): CanonicalRecord => ({
  benchmark: 'fields',
  model: 'm',
  run: 'r',
  item_id: `i${item}`,
  sample: 0,
  outcome: 'correct',
  correct: true,
  score: null,
  metadata,
});

describe('field names: the import gate applies the API rule, and /metadata says why a field does not group', () => {
  const tmp = tmpDir();
  let ctx: AppContext;
  let app: FastifyInstance;
  const write = (name: string, recs: CanonicalRecord[]) => {
    const file = `${tmp.dir}/${name}`;
    writeFileSync(file, `${recs.map((r) => JSON.stringify(r)).join('\n')}\n`);
    return file;
  };
  beforeAll(async () => {
    ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/f.duckdb`, DEMO_DATA: 'off' }), {
      mirrorLoop: false,
    });
    app = await buildApp(ctx);
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    tmp.cleanup();
  });

  it('refuses an empty and a 192-character field name as errors of their records, writing nothing', async () => {
    const long = 'f'.repeat(192);
    const file = write('bad.jsonl', [
      rec(0, { ok: 'a' }),
      rec(1, { '': 'a' }),
      rec(2, { [long]: 'a' }),
      rec(3, { ['g'.repeat(191)]: 'a' }),
    ]);
    const s = await importFile(ctx.record, file, { format: 'canonical' });
    expect(s.committed).toBe(false);
    expect(s.errorCount).toBe(2);
    expect(s.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'metadata.'],
      [3, `metadata.${long}`],
    ]);
    expect(s.errors[0]!.message).toMatch(/field name "" must not be empty/);
    expect(s.errors[1]!.message).toMatch(/must be at most 191 characters \(this one has 192\)/);
    const [{ n }] = (await ctx.duck.db.all<{ n: number }>('SELECT count(*) AS n FROM results')) as [
      { n: number },
    ];
    expect(Number(n)).toBe(0);
  });

  it('the same rule at POST /imports: a 400 naming the record', async () => {
    const body = `${JSON.stringify(rec(0, { '': 'a' }))}\n`;
    const res = await app.inject({
      method: 'POST',
      url: '/imports?filename=bad.jsonl',
      payload: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.body).toMatch(/must not be empty/);
  });

  it('the longest name the import takes is one /analysis takes', async () => {
    const name = 'g'.repeat(191);
    const file = write('ok.jsonl', [rec(0, { [name]: 'a' }), rec(1, { [name]: 'b' })]);
    expect((await importFile(ctx.record, file, { format: 'canonical' })).inserted).toBe(2);
    const res = await app.inject({
      method: 'POST',
      url: '/analysis',
      payload: { benchmark: 'fields', levels: [name] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows.map((r: { groups: Record<string, string> }) => r.groups[name])).toEqual([
      'a',
      'b',
    ]);
    // one character more is refused by the API's gate with the same rule
    const over = await app.inject({
      method: 'POST',
      url: '/analysis',
      payload: { benchmark: 'fields', levels: [`${name}g`] },
    });
    expect(over.statusCode).toBe(400);
  });

  it('fields beyond the 16th and long-text fields: groupable false with the reason, and /analysis says it', async () => {
    // 17 short fields plus one with a value over 191 characters, in one record per item
    const meta: CanonicalRecord['metadata'] = {};
    for (let i = 0; i < 17; i++) meta[`k${String(i).padStart(2, '0')}`] = `v${i}`;
    meta.note = 'n'.repeat(192);
    await ctx.record.ingest([{ ...rec(0, meta), benchmark: 'wide' }]);
    const res = await app.inject({ method: 'GET', url: '/benchmarks/wide/metadata' });
    expect(res.statusCode).toBe(200);
    const fields = res.json().fields as { name: string; groupable: boolean; reason?: string }[];
    const notGroupable = fields.filter((f) => !f.groupable);
    // which 16 got a column is the registration order; exactly one short field is left without one
    expect(notGroupable.length).toBe(2);
    const note = notGroupable.find((f) => f.name === 'note')!;
    expect(note.reason).toMatch(/text values over 191 characters/);
    const beyond = notGroupable.find((f) => f.name !== 'note')!;
    expect(beyond.reason).toMatch(/beyond the 16 groupable fields/);
    for (const f of fields.filter((x) => x.groupable)) expect(f.reason).toBeUndefined();
    const list = await app.inject({ method: 'GET', url: '/benchmarks' });
    const wide = list.json().benchmarks.find((b: { benchmark: string }) => b.benchmark === 'wide');
    expect(wide.metadata.find((f: { name: string }) => f.name === beyond.name).reason).toBe(beyond.reason);

    for (const f of [beyond, note]) {
      const a = await app.inject({
        method: 'POST',
        url: '/analysis',
        payload: { benchmark: 'wide', levels: [f.name] },
      });
      expect(a.statusCode).toBe(400);
      const body = a.json();
      expect(body.error).toBe('FIELD_NOT_GROUPABLE');
      expect(body.message).not.toMatch(/unknown/);
      expect(body.message).toContain(f.reason!);
      expect(body.details.reason).toBe(f.reason);
    }
    // a name the benchmark does not have is still "unknown"
    const unknown = await app.inject({
      method: 'POST',
      url: '/analysis',
      payload: { benchmark: 'wide', levels: ['nope'] },
    });
    expect(unknown.json().error).toBe('UNKNOWN_FIELD');
  });
});
