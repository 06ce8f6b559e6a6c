import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase('mirrorcli');
});
afterAll(async () => {
  await db?.drop();
  tmp.cleanup();
});

/** `evalhouse mirror`, killed if it has not ended after `ms` (it used to hang forever). */
async function mirrorWithin(env: Record<string, string>, ms = 30_000) {
  const run = evalhouse(['mirror'], env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const r = await run.done;
  clearTimeout(timer);
  return r;
}

describe('evalhouse mirror while the DuckDB file is held', () => {
  it('by a server in MySQL mode: fails at once naming the server, which keeps its own mirror', async () => {
    const duckdb = `${tmp.dir}/served.duckdb`;
    const server = await startServer({ AUTH: 'off', MYSQL_URL: db.url, DUCKDB_PATH: duckdb, PORT: '0' });
    try {
      const r = await mirrorWithin({ MYSQL_URL: db.url, DUCKDB_PATH: duckdb });
      expect(r.signal, 'mirror hung and was killed').toBeNull();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe(
        `evalhouse mirror: the evalhouse server at ${server.url} (pid ${server.child.pid}) holds ${duckdb} and keeps its mirror current itself; stop it to run a pass here`,
      );
    } finally {
      await server.stop();
    }
    // with the server gone the same command works
    const after = await mirrorWithin({ MYSQL_URL: db.url, DUCKDB_PATH: duckdb });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^mirrored 0 rows/);
  }, 120_000);

  it('by another process: ends with the lock error instead of hanging', async () => {
    const duckdb = `${tmp.dir}/held.duckdb`;
    const held = await DuckDbStore.open(duckdb);
    try {
      const r = await mirrorWithin({ MYSQL_URL: db.url, DUCKDB_PATH: duckdb });
      expect(r.signal, 'mirror hung and was killed').toBeNull();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^evalhouse mirror: the DuckDB file .*held\.duckdb is in use by another process/,
      );
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await held.close();
    }
  }, 60_000);
});
