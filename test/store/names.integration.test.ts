import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/**
 * Names that differ only by a trailing space are different names on both stores (MariaDB's PAD SPACE
 * collations compared them equal): models, run labels, field names and item ids.
 */
const MODELS = ['m', 'm '];
const RUNS = ['r', 'r '];
const ITEMS = ['x', 'x '];

function records(): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  for (const [mi, model] of MODELS.entries())
    for (const run of RUNS)
      for (const [ii, item_id] of ITEMS.entries()) {
        const correct = (mi + ii) % 2 === 0;
        out.push({
          benchmark: 'pad',
          model,
          run,
          item_id,
          sample: 0,
          outcome: correct ? 'correct' : 'incorrect',
          correct,
          score: null,
          // two fields whose names differ by a trailing space, with different values
          metadata: { f: `v${ii}`, 'f ': `w${ii}` },
        });
      }
  return out;
}

for (const mode of ['duckdb', 'mysql'] as const) {
  describe(`names differing by a trailing space stay distinct (${mode})`, () => {
    const tmp = tmpDir();
    let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
    let ctx: AppContext;
    let app: FastifyInstance;
    const recs = records();
    let summary: Awaited<ReturnType<typeof importFile>>;
    /** The system of record's own SQL (MySQL, or the DuckDB file). */
    const storeDb = () => (ctx.mysql ?? ctx.duck).db;
    beforeAll(async () => {
      if (mode === 'mysql') db = await createTestDatabase('pad');
      ctx = await openContext(
        loadConfig({
          DUCKDB_PATH: `${tmp.dir}/n.duckdb`,
          DEMO_DATA: 'off',
          ...(db ? { AUTH: 'off', MYSQL_URL: db.url, MYSQL_POOL_SIZE: '4' } : {}),
        }),
        { mirrorLoop: false },
      );
      const file = `${tmp.dir}/pad.jsonl`;
      writeFileSync(file, `${recs.map((r) => JSON.stringify(r)).join('\n')}\n`);
      summary = await importFile(ctx.record, file, { format: 'canonical' });
      await ctx.syncMirror();
      app = await buildApp(ctx);
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await ctx?.close();
      await db?.drop();
      tmp.cleanup();
    });

    it('imports every record, and the summary counts exactly the rows stored', async () => {
      expect(summary.committed).toBe(true);
      expect(summary.inserted).toBe(recs.length);
      expect(summary.duplicates).toBe(0);
      const [{ n }] = (await storeDb().all<{ n: number }>('SELECT count(*) AS n FROM results')) as [
        { n: number },
      ];
      expect(Number(n)).toBe(recs.length);
    });

    it('keeps two models, four runs, two items and two fields', async () => {
      const runs = await ctx.record.listRuns();
      expect(runs.map((r) => `${r.model}|${r.label}`).sort()).toEqual(
        ['m|r', 'm|r ', 'm |r', 'm |r '].sort(),
      );
      const items = await storeDb().all<{ k: string }>('SELECT item_key AS k FROM items ORDER BY item_key');
      expect(items.map((i) => i.k)).toEqual(['x', 'x ']);
      const fields = await storeDb().all<{ name: string }>('SELECT name FROM benchmark_fields ORDER BY name');
      expect(fields.map((f) => f.name)).toEqual(['f', 'f ']);
    });

    it('POST /imports of item ids "y" and "y " answers 200 with the exact count', async () => {
      const body = ['y', 'y ']
        .map((item_id) => JSON.stringify({ ...recs[0], benchmark: 'pad2', item_id }))
        .join('\n');
      const res = await app.inject({
        method: 'POST',
        url: '/imports?filename=pad2.jsonl',
        payload: `${body}\n`,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().inserted).toBe(2);
      const items = await storeDb().all<{ k: string }>(
        "SELECT item_key AS k FROM items i JOIN benchmarks b ON b.id = i.benchmark_id WHERE b.slug = 'pad2' ORDER BY item_key",
      );
      expect(items.map((i) => i.k)).toEqual(['y', 'y ']);
    });

    it('/compare compares both models by name', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/compare',
        payload: { benchmark: 'pad', models: MODELS, engine: 'duckdb', bayes: false },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(JSON.stringify(body)).not.toContain('null"');
      expect(body.models).toEqual(MODELS);
    });

    for (const engine of mode === 'mysql' ? (['duckdb', 'mysql'] as const) : (['duckdb'] as const)) {
      it(`/analysis groups by "f " and lists both models (${engine} engine)`, async () => {
        const res = await app.inject({
          method: 'POST',
          url: '/analysis',
          payload: { benchmark: 'pad', levels: ['f '], engine },
        });
        expect(res.statusCode, res.body).toBe(200);
        const rows = res.json().rows as {
          model: string;
          groups: Record<string, string>;
          n: number;
          correct: number;
        }[];
        // independent count from the records: per (model, value of "f ") the runs' results
        const expected = new Map<string, { n: number; correct: number }>();
        for (const r of recs) {
          const k = `${r.model}|${r.metadata['f ']}`;
          const e = expected.get(k) ?? { n: 0, correct: 0 };
          e.n++;
          if (r.correct) e.correct++;
          expected.set(k, e);
        }
        const got = new Map(
          rows.map((r) => [`${r.model}|${r.groups['f ']}`, { n: r.n, correct: r.correct }]),
        );
        expect(got).toEqual(expected);
      });
    }
  });
}
