import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { importFile } from '../../ingest/import-file.ts';
import { SHARED_DATA, tmpDir } from './tmp.ts';

/**
 * The published HELM verdicts of MMLU-Redux (`mmlu_redux/results.csv`): model → item → 1 | 0 | null (blank: no
 * gradable answer = unscored). Tests compute their expectations from these, never from the API's SQL.
 */
export function readHelmVerdicts(): Map<string, Map<string, 0 | 1 | null>> {
  const out = new Map<string, Map<string, 0 | 1 | null>>();
  const lines = readFileSync(`${SHARED_DATA}mmlu_redux/results.csv`, 'utf8').trim().split(/\r?\n/);
  for (const line of lines.slice(1)) {
    const [model, item, , correct] = line.split(',') as [string, string, string, string];
    const m = out.get(model) ?? new Map<string, 0 | 1 | null>();
    out.set(model, m);
    m.set(item, correct === '1' ? 1 : correct === '0' ? 0 : null);
  }
  return out;
}

/**
 * An in-process app over a fresh embedded store holding the bundled MMLU-Redux results (demo/), opened before the
 * enclosing suite's tests and closed after them (call it inside a describe).
 */
export function mmluReduxApp(): { readonly app: FastifyInstance } {
  const tmp = tmpDir();
  let ctx: AppContext | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    ctx = await openContext(loadConfig({ DUCKDB_PATH: `${tmp.dir}/redux.duckdb`, DEMO_DATA: 'off' }), {
      mirrorLoop: false,
    });
    await importFile(ctx.record, 'demo/mmlu-redux.jsonl.gz', { format: 'canonical' });
    app = await buildApp(ctx);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    tmp.cleanup();
  });
  return {
    get app() {
      if (!app) throw new Error('mmluReduxApp: the app is opened in beforeAll');
      return app;
    },
  };
}
