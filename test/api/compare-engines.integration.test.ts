import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { importFile } from '../../ingest/import-file.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SONNET = 'anthropic_claude-3-5-sonnet-20240620';
const GPT4O = 'openai_gpt-4o-2024-05-13';
const OPUS = 'anthropic_claude-3-opus-20240229';

describe('POST /compare gives the same answer on DuckDB and MySQL', () => {
  const tmp = tmpDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ctx: AppContext;
  let app: FastifyInstance;
  beforeAll(async () => {
    // three models of the real MMLU-Redux demo (17,100 results) into MariaDB, mirrored into DuckDB
    const keep = new Set([SONNET, GPT4O, OPUS]);
    const lines = gunzipSync(readFileSync('demo/mmlu-redux.jsonl.gz'))
      .toString('utf8')
      .split('\n')
      .filter((l) => l && keep.has(JSON.parse(l).model));
    writeFileSync(`${tmp.dir}/three.jsonl`, `${lines.join('\n')}\n`);
    db = await createTestDatabase('cmp');
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/m.duckdb`,
        DEMO_DATA: 'off',
        AUTH: 'off',
        MYSQL_URL: db.url,
        MYSQL_POOL_SIZE: '4',
      }),
      { mirrorLoop: false },
    );
    await importFile(ctx.record, `${tmp.dir}/three.jsonl`, { format: 'canonical' });
    await ctx.syncMirror();
    app = await buildApp(ctx);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    await db?.drop();
    tmp.cleanup();
  });

  const bodies = [
    { benchmark: 'mmlu-redux', models: [SONNET, GPT4O] },
    { benchmark: 'mmlu-redux', models: [SONNET, GPT4O], levels: ['subject'] },
    {
      benchmark: 'mmlu-redux',
      models: [SONNET, GPT4O, OPUS],
      baseline: OPUS,
      levels: ['error_type', 'subject'],
      bayes: false,
    },
    {
      benchmark: 'mmlu-redux',
      models: [GPT4O, OPUS],
      level1: 'error_type',
      unscored: 'wrong',
      correction: 'bh',
    },
    {
      benchmark: 'mmlu-redux',
      models: [GPT4O, OPUS],
      levels: ['subject'],
      filters: { error_type: ['wrong_groundtruth'] },
    },
  ];
  for (const body of bodies) {
    it(`${JSON.stringify(body).slice(0, 140)}`, async () => {
      const [d, m] = await Promise.all(
        (['duckdb', 'mysql'] as const).map((engine) =>
          app.inject({ method: 'POST', url: '/compare', payload: { ...body, engine } }),
        ),
      );
      expect(d!.statusCode, d!.body).toBe(200);
      expect(m!.statusCode, m!.body).toBe(200);
      const dj = d!.json();
      const mj = m!.json();
      expect(dj.rows.length).toBeGreaterThan(0);
      expect(mj.meta.engine).toBe('mysql');
      expect(mj.rows).toEqual(dj.rows);
      expect(mj.excluded_items).toBe(dj.excluded_items);
    }, 60_000);
  }
});
