import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import type { CanonicalRecord, Outcome } from '../../core/types.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Vocabulary chosen so no value can occur inside SQL text by accident. */
export const SUBJECTS = ['subj_alg', 'subj_bio', 'subj_chem', 'subj_law'];
export const LEVELS = ['lvl_easy', 'lvl_mid', 'lvl_hard'];
export const MODELS = ['model_x', 'model_y', 'model_z'];

/**
 * Generated records (test data, not results): 3 models, 48 items with typed metadata (string,
 * integer, boolean, a string with NULLs), scores on some rows, latencies (with sub-µs digits); model_z also has a second
 * run with 3 samples per item; every outcome occurs.
 */
export function fixtureRecords(): CanonicalRecord[] {
  let s = 7;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: CanonicalRecord[] = [];
  const add = (model: string, run: string, item: number, sample: number, skill: number) => {
    const u = rand();
    const outcome: Outcome =
      u < 0.04 ? 'error' : u < 0.1 ? 'unscored' : rand() < skill ? 'correct' : 'incorrect';
    const correct = outcome === 'correct' ? true : outcome === 'incorrect' ? false : null;
    out.push({
      benchmark: 'alpha',
      model,
      run,
      item_id: `it${item}`,
      sample,
      outcome,
      correct,
      score: item % 3 === 0 && correct !== null ? (correct ? 0.5 + rand() / 2 : rand() / 2) : null,
      metadata: {
        subj: SUBJECTS[item % 4]!,
        yr: 2019 + (item % 3),
        hard: item % 2 === 0,
        lvl: item % 7 === 0 ? null : LEVELS[item % 3]!,
      },
      answer: ['A', 'B', 'C'][Math.floor(rand() * 3)]!,
      // sub-microsecond digits on purpose: stored to the µs, and quantiles over integer µs must give them back
      latency_ms: item % 5 === 0 ? null : rand() * 2000,
      tokens_in: 100 + item,
      tokens_out: 20,
      cost_usd: 0.002,
      error: outcome === 'error' ? 'HTTP 503' : null,
    });
  };
  MODELS.forEach((m, mi) => {
    for (let i = 0; i < 48; i++) add(m, 'r1', i, 0, 0.4 + 0.2 * mi);
  });
  for (let i = 0; i < 48; i++) for (let k = 0; k < 3; k++) add('model_z', 'r2', i, k, 0.7);
  // a second benchmark so that names of one never resolve in the other
  for (let i = 0; i < 10; i++) {
    out.push({
      benchmark: 'beta',
      model: 'model_x',
      run: 'r1',
      item_id: `b${i}`,
      sample: 0,
      outcome: i % 2 ? 'correct' : 'incorrect',
      correct: i % 2 === 1,
      score: null,
      metadata: { topic: `topic_${i % 2}` },
    });
  }
  return out;
}

export interface ApiFixture {
  ctx: AppContext;
  app: FastifyInstance;
  records: CanonicalRecord[];
  close(): Promise<void>;
}

/** A server context on MySQL (system of record) with its DuckDB mirror, loaded with the fixture. */
export async function openApiFixture(
  opts: { mysql?: boolean; records?: CanonicalRecord[] } = {},
): Promise<ApiFixture> {
  const tmp = tmpDir();
  const db = opts.mysql === false ? null : await createTestDatabase('api');
  const config = loadConfig({
    DUCKDB_PATH: `${tmp.dir}/a.duckdb`,
    DEMO_DATA: 'off',
    AUTH: 'off',
    MYSQL_URL: db?.url,
    MYSQL_POOL_SIZE: '4',
  });
  const ctx = await openContext(config, { mirrorLoop: false });
  const records = opts.records ?? fixtureRecords();
  await ctx.record.ingest(records);
  await ctx.syncMirror();
  const app = await buildApp(ctx);
  return {
    ctx,
    app,
    records,
    async close() {
      await app.close();
      await ctx.close();
      await db?.drop();
      tmp.cleanup();
    },
  };
}
