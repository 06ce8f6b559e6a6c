import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { openContext } from '../../api/context.ts';
import { loadConfig } from '../../core/config.ts';
import { detectFormat } from '../../ingest/importers/detect.ts';
import { lmEvalImporter } from '../../ingest/importers/lm-eval.ts';
import { samplesFilesIn, withResultsFiles, writeZip } from '../../ingest/importers/lm-eval-pack.ts';
import type { ImportItem } from '../../ingest/importers/types.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { evalhouse } from '../helpers/cli.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';

const LM = join(SHARED_DATA, 'formats/lm-eval');
const tmp = tmpDir();
afterAll(() => tmp.cleanup());

/** An lm-eval output folder as the harness lays it out: one folder per model under --output_path. */
const OUT = join(tmp.dir, 'out');
const MODELS: Record<string, { folder: string; model: string }> = {
  'Qwen__Qwen3-8B': { folder: 'negotiationtom_qwen3-8b', model: 'Qwen/Qwen3-8B' },
  'gpt-4o-mini': { folder: 'polymer_tg_gpt-4o-mini', model: 'gpt-4o-mini' },
};
/** Lines per (model, task), counted from the files themselves: one record per line in these runs. */
const expected = new Map<string, number>();
beforeAll(() => {
  for (const [sanitized, { folder, model }] of Object.entries(MODELS)) {
    mkdirSync(join(OUT, sanitized), { recursive: true });
    for (const f of readdirSync(join(LM, folder))) {
      copyFileSync(join(LM, folder, f), join(OUT, sanitized, f));
      const task = /^samples_(.+)_\d{4}-/.exec(f)?.[1];
      if (task) {
        const lines = readFileSync(join(LM, folder, f), 'utf8')
          .split('\n')
          .filter((l) => l.trim()).length;
        expected.set(`${model}|${task}`, lines);
      }
    }
  }
});
const total = () => [...expected.values()].reduce((a, b) => a + b, 0);

async function countsIn(db: string): Promise<Map<string, number>> {
  const store = await DuckDbStore.open(db);
  try {
    const rows = await store.db.all<{ model: string; benchmark: string; n: number }>(
      `SELECT m.name AS model, b.slug AS benchmark, count(*) AS n FROM results r
         JOIN runs ru ON ru.id = r.run_id JOIN models m ON m.id = ru.model_id JOIN benchmarks b ON b.id = ru.benchmark_id
        GROUP BY 1, 2`,
    );
    return new Map(rows.map((r) => [`${r.model}|${r.benchmark}`, Number(r.n)]));
  } finally {
    await store.close();
  }
}

describe('an lm-eval output folder', () => {
  it('zipped, is detected as lm-eval and read with each model from the results file beside its samples', async () => {
    const zip = join(tmp.dir, 'out.zip');
    const files = await withResultsFiles(await samplesFilesIn(OUT));
    await writeZip(files, OUT, zip);
    expect(await detectFormat(zip)).toBe('lm-eval');
    const items: ImportItem[] = [];
    for await (const item of lmEvalImporter.read(zip, {})) items.push(item);
    expect(items.filter((i) => 'error' in i)).toEqual([]);
    const got = new Map<string, number>();
    for (const i of items)
      if ('record' in i)
        got.set(
          `${i.record.model}|${i.record.benchmark}`,
          (got.get(`${i.record.model}|${i.record.benchmark}`) ?? 0) + 1,
        );
    expect(got).toEqual(expected);
  });

  it('imports locally from the folder', async () => {
    const db = `${tmp.dir}/local.duckdb`;
    const r = await evalhouse(['import', OUT], { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(await countsIn(db)).toEqual(expected);
  });
});

describe('lm-eval imports through a running server (embedded DuckDB)', () => {
  const db = `${tmp.dir}/served.duckdb`;
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const ctx = await openContext(loadConfig({ DUCKDB_PATH: db, DEMO_DATA: 'off' }), { mirrorLoop: false });
    const app = await buildApp(ctx);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
    close = async () => {
      await app.close();
      await ctx.close();
    };
  });
  afterAll(async () => close?.());
  const env = () => ({ DUCKDB_PATH: db, PORT: String(port) });

  it('a samples file goes with the results file beside it, so its model is known', async () => {
    const samples = join(
      OUT,
      'gpt-4o-mini',
      readdirSync(join(OUT, 'gpt-4o-mini')).find((f) => f.startsWith('samples_'))!,
    );
    const r = await evalhouse(['import', samples], env()).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/importing through http:\/\/127\.0\.0\.1:\d+\/imports/);
    expect(r.stdout).toMatch(/\(lm-eval\): 24 rows \(24 new, 0 already stored\)/);
  });

  it('a whole folder with a model per subfolder', async () => {
    const r = await evalhouse(['import', OUT], env()).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${total()} rows \\(${total() - 24} new, 24 already stored\\)`));
  });

  it('a samples file without its results file: the error says to pass --model', async () => {
    const lone = join(tmp.dir, 'lone');
    mkdirSync(lone);
    const f = readdirSync(join(OUT, 'gpt-4o-mini')).find((n) => n.startsWith('samples_'))!;
    copyFileSync(join(OUT, 'gpt-4o-mini', f), join(lone, f));
    const r = await evalhouse(['import', join(lone, f)], env()).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--model/);
    const ok = await evalhouse(['import', join(lone, f), '--model', 'gpt-4o-mini', '--run', 'again'], env())
      .done;
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/24 rows \(24 new/);
  });
});
