import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** 191 characters shared by every answer: answers differ only after them (MySQL kept 191 characters). */
const P = 'x'.repeat(191);

/**
 * Per item, three samples in order. Item 0: "B" (wrong) then "A" twice (right): the whole answers elect
 * A → right; cut to 191 characters all three are one answer whose first sample is wrong → wrong.
 * Item 1: three different answers, the first right → right either way. Item 2: "A" wrong, "B" twice
 * right → right whole, wrong cut. Item 3: "C" twice wrong, "A" right → wrong either way.
 * maj@3 over the whole answers = 3/4; over cut answers it would be 1/4.
 */
const ITEMS: [string, boolean][][] = [
  [
    ['B', false],
    ['A', true],
    ['A', true],
  ],
  [
    ['A', true],
    ['B', false],
    ['C', false],
  ],
  [
    ['A', false],
    ['B', true],
    ['B', true],
  ],
  [
    ['C', false],
    ['C', false],
    ['A', true],
  ],
];
const EXPECTED_MAJ3 = 3 / 4;

function records(): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  ITEMS.forEach((samples, i) => {
    samples.forEach(([tail, correct], sample) => {
      out.push({
        benchmark: 'long',
        model: 'm',
        run: 'r',
        item_id: `i${i}`,
        sample,
        outcome: correct ? 'correct' : 'incorrect',
        correct,
        score: null,
        metadata: { cat: 'all' },
        answer: `${P}${tail}`,
      });
    });
  });
  return out;
}

/** Every text field at 200 KB: over MySQL's TEXT (64 KB), under the default IMPORT_MAX_FIELD_BYTES (1 MiB). */
const BIG = 200 * 1024;
const text = (c: string) => c.repeat(BIG);
function longTexts(): CanonicalRecord {
  return {
    benchmark: 'long-texts',
    model: 'm',
    run: 'r',
    item_id: 'big',
    sample: 0,
    outcome: 'error',
    correct: null,
    score: null,
    metadata: {},
    input: text('i'),
    reference: text('f'),
    response: text('r'),
    answer: text('a'),
    error: text('e'),
  };
}

describe('answers longer than 191 characters are kept whole, and maj@k agrees on both engines', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ctx: AppContext;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase('long');
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/l.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'off',
        MYSQL_URL: db.url,
        MYSQL_POOL_SIZE: '4',
      }),
      { mirrorLoop: false },
    );
    await ctx.record.ingest(records());
    await ctx.record.ingest([longTexts()]);
    await ctx.syncMirror();
    app = await buildApp(ctx);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('stores every answer whole in MySQL and in the mirror', async () => {
    const want = records()
      .map((r) => r.answer)
      .sort();
    for (const d of [ctx.mysql!.db, ctx.duck.db]) {
      const rows = await d.all<{ answer: string }>(
        `SELECT r.answer FROM results r JOIN runs ru ON ru.id = r.run_id JOIN benchmarks b ON b.id = ru.benchmark_id
          WHERE b.slug = ? ORDER BY r.answer`,
        ['long'],
      );
      expect(rows.map((r) => r.answer)).toEqual(want);
    }
  });

  it('stores every text field an import accepts whole in MySQL (no TEXT column cuts at 64 KB)', async () => {
    const [row] = await ctx.mysql!.db.all<Record<string, number>>(
      `SELECT CHAR_LENGTH(i.input) AS input, CHAR_LENGTH(i.reference) AS reference,
              CHAR_LENGTH(r.response) AS response, CHAR_LENGTH(r.answer) AS answer, CHAR_LENGTH(r.error) AS error
         FROM results r JOIN items i ON i.id = r.item_id WHERE i.item_key = ?`,
      ['big'],
    );
    expect(row).toEqual({ input: BIG, reference: BIG, response: BIG, answer: BIG, error: BIG });
  });

  for (const engine of ['duckdb', 'mysql'] as const) {
    it(`maj@3 is the vote over whole answers (${engine})`, async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/analysis',
        payload: { benchmark: 'long', levels: ['cat'], maj_at: [3], engine },
      });
      expect(res.statusCode, res.body).toBe(200);
      const [row] = res.json().rows;
      expect(row['maj@3'].n).toBe(ITEMS.length);
      expect(row['maj@3'].value).toBeCloseTo(EXPECTED_MAJ3, 12);
    });
  }
});
