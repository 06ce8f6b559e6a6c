/**
 * A process killed (SIGKILL) while it creates a new DuckDB file must leave either no file or one that opens:
 * DuckDB cannot replay a migration's ALTER TABLE … ADD COLUMN from its WAL, so a file killed during its
 * first migration never opened again (store/duckdb/connection.ts createDuckDbFile).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());
const STORE = new URL('../../store/duckdb/duckdb-store.ts', import.meta.url).pathname;

/** A child that opens (creates) the store at `path` and exits; resolves with its run time in ms. */
function createInChild(path: string, killAfterMs?: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { DuckDbStore } = await import(${JSON.stringify(STORE)});
       process.stdout.write('opening\\n');
       const s = await DuckDbStore.open(process.argv[1]); await s.close();`,
      path,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (killAfterMs !== undefined) {
    // counted from the child's own start of work, not its module loading
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), killAfterMs));
  }
  return new Promise((resolve) => child.on('exit', () => resolve(performance.now() - t0)));
}

describe('creating a new DuckDB file', () => {
  it('killed at any point, leaves no file or one that opens with the schema', async () => {
    // how long a creation takes here, then kills spread over it (and a little past)
    const whole = await createInChild(`${tmp.dir}/whole.duckdb`);
    const store = await DuckDbStore.open(`${tmp.dir}/whole.duckdb`);
    await store.close();
    const points = Array.from({ length: 10 }, (_, k) => Math.round((k * Math.min(whole, 4000)) / 12));
    let created = 0;
    for (const [k, ms] of points.entries()) {
      const path = `${tmp.dir}/killed-${k}.duckdb`;
      await createInChild(path, ms);
      if (!existsSync(path)) continue;
      created++;
      const s = await DuckDbStore.open(path);
      try {
        const [row] = await s.db.all<{ n: number }>(
          "SELECT count(*)::INTEGER AS n FROM duckdb_columns() WHERE table_name = 'workspaces' AND column_name = 'org_id'",
        );
        expect(row?.n, `killed after ${ms} ms`).toBe(1);
      } finally {
        await s.close();
      }
    }
    // the kills are not all before the file appears: some files were made and then opened
    expect(created).toBeGreaterThan(0);
  }, 120_000);
});
