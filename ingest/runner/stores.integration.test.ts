/**
 * The runner against the real stores (an embedded DuckDB file, and MySQL/MariaDB from TEST_MYSQL_URL):
 * errors recorded then asked again on resume, no duplicates, status and summary kept, config refused.
 */
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordStore } from '../../core/store.ts';
import { openDuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { openMysqlStore } from '../../store/mysql/mysql-store.ts';
import { answerFor, testPlan } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { createTestDatabase } from '../../test/helpers/mysql.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';
import { createOpenAIProvider } from '../providers/openai.ts';
import { RunConfigMismatchError, runBenchmark } from './run-benchmark.ts';

let fake: FakeProvider;
const tmp = tmpDir('evalhouse-stores-');
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 5, answer: (c) => answerFor(c.prompt) });
});
afterAll(async () => {
  for (const c of cleanups) await c();
  await fake.close();
  tmp.cleanup();
});

const provider = () =>
  createOpenAIProvider({
    client: new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseURL, maxRetries: 0 }),
    model: 'gpt-fake',
    flavor: 'openai',
    prices: { input: 1, output: 1 },
  });

const stores: [string, () => Promise<RecordStore>][] = [
  ['duckdb', () => openDuckDbStore(join(tmp.dir, 'r.duckdb'))],
  [
    'mysql',
    async () => {
      const db = await createTestDatabase('runner');
      const store = await openMysqlStore(db.url, 4);
      cleanups.push(db.drop);
      return store;
    },
  ],
];

describe.each(stores)('runner on the %s store', (_name, open) => {
  it('records errors apart, asks them again on resume, never duplicates, refuses a changed config', async () => {
    const store = await open();
    try {
      fake.reset();
      fake.set({
        fault: (c) =>
          c.prompt === 'Question 5' || c.prompt === 'Question 6'
            ? { type: 'status', status: 503 }
            : undefined,
      });
      const plan = testPlan(80, { concurrency: 8, retry: { maxAttempts: 2, baseMs: 1, maxMs: 2 } });
      const first = await runBenchmark(plan, { store, provider: provider() });
      expect(first).toMatchObject({ status: 'completed' });
      expect(first.summary).toMatchObject({ errors: 2, done: 80 });
      expect(first.reason).toMatch(/2 item\(s\) failed/);
      expect((await store.doneKeys(first.runId)).size).toBe(78);

      fake.reset();
      fake.set({ fault: undefined });
      const second = await runBenchmark(plan, { store, provider: provider() });
      expect(fake.requests.map((r) => r.prompt).sort()).toEqual(['Question 5', 'Question 6']);
      expect(second).toMatchObject({ status: 'completed', reason: null });
      expect(second.summary).toMatchObject({ correct: 40, incorrect: 40, errors: 0, done: 80 });
      expect((await store.doneKeys(first.runId)).size).toBe(80);
      const run = await store.getRun(first.runId);
      expect(run).toMatchObject({ status: 'completed', source: 'runner', config: plan.config });
      expect(run?.summary).toMatchObject({ correct: 40, incorrect: 40 });

      // Running it again asks nothing and changes nothing.
      fake.reset();
      await runBenchmark(plan, { store, provider: provider() });
      expect(fake.requests).toHaveLength(0);

      const changed = { ...plan, config: { ...plan.config, samples: 2 } };
      await expect(runBenchmark(changed, { store, provider: provider() })).rejects.toBeInstanceOf(
        RunConfigMismatchError,
      );
    } finally {
      await store.close();
    }
  });
});
