import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { serverFilePath } from '../../api/server-file.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { SHARED_DATA, tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

function canonicalLines(n: number, model = 'm1'): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      benchmark: 'cli-bench',
      model,
      item_id: `q${i}`,
      correct: i % 3 !== 0,
      metadata: { subject: `s${i % 5}` },
    }),
  );
}

async function count(path: string): Promise<number> {
  const store = await DuckDbStore.open(path);
  try {
    const [{ n }] = (await store.db.all<{ n: number }>('SELECT count(*) AS n FROM results')) as [
      { n: number },
    ];
    return n;
  } finally {
    await store.close();
  }
}

describe('evalhouse import (embedded DuckDB)', () => {
  it('imports, then a second import of the same file changes nothing', async () => {
    const db = `${tmp.dir}/idem.duckdb`;
    const file = `${tmp.dir}/ok.jsonl`;
    writeFileSync(file, `${canonicalLines(500).join('\n')}\n`);
    const env = { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' };
    const first = await evalhouse(['import', file], env).done;
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /500 rows \(500 new, 0 already stored\), 1 run\(s\), 1 benchmark\(s\), 1 model\(s\), 0 skipped/,
    );
    const second = await evalhouse(['import', file], env).done;
    expect(second.stdout).toMatch(/500 rows \(0 new, 500 already stored\)/);
    expect(await count(db)).toBe(500);
  });

  it('reports every bad record with file, line and field, exits non-zero and writes nothing', async () => {
    const db = `${tmp.dir}/bad.duckdb`;
    const file = `${tmp.dir}/bad.jsonl`;
    const lines = canonicalLines(10);
    lines[3] = JSON.stringify({ benchmark: 'cli-bench', model: 'm1', item_id: 'x', correct: 'yes' });
    lines[6] = '{not json';
    lines[8] = JSON.stringify({ benchmark: 'cli-bench', model: 'm1', item_id: 'y', sample: -1 });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const env = { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' };
    const r = await evalhouse(['import', file], env).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/3 invalid record\(s\); nothing imported/);
    expect(r.stderr).toMatch(/bad\.jsonl:4: correct: /);
    expect(r.stderr).toMatch(/bad\.jsonl:7: /);
    expect(r.stderr).toMatch(/bad\.jsonl:9: sample: /);
    expect(await count(db)).toBe(0);
    const skip = await evalhouse(['import', '--skip-invalid', file], env).done;
    expect(skip.code).toBe(0);
    expect(skip.stderr).toMatch(/skipped 3 invalid record/);
    expect(await count(db)).toBe(7);
  });

  it('rejects bad usage with exit code 2', async () => {
    const env = { DUCKDB_PATH: `${tmp.dir}/u.duckdb` };
    expect((await evalhouse(['import'], env).done).code).toBe(2);
    expect(
      (await evalhouse(['import', '--format', 'xml', `${SHARED_DATA}SOURCES.md`], env).done).stderr,
    ).toMatch(/unknown --format xml/);
    expect((await evalhouse(['import', `${tmp.dir}/missing.jsonl`], env).done).stderr).toMatch(
      /no such file/,
    );
    const badEnv = await evalhouse(['import', 'x'], { PORT: 'eighty' }).done;
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/PORT/);
  });

  it('a killed import, run again, ends with exactly the rows of one import', async () => {
    const db = `${tmp.dir}/killed.duckdb`;
    const file = `${tmp.dir}/big.jsonl`;
    const N = 120_000;
    writeFileSync(file, `${[...canonicalLines(N / 2, 'ma'), ...canonicalLines(N / 2, 'mb')].join('\n')}\n`);
    const env = { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' };
    let kills = 0;
    for (const delay of [1500, 2200, 2900, 3600]) {
      const run = evalhouse(['import', file], env);
      const timer = setTimeout(() => {
        if (run.child.exitCode === null) {
          run.child.kill('SIGKILL');
          kills++;
        }
      }, delay);
      await run.done;
      clearTimeout(timer);
    }
    const last = await evalhouse(['import', file], env).done;
    expect(last.code, last.stderr).toBe(0);
    expect(kills).toBeGreaterThan(0);
    const store = await DuckDbStore.open(db);
    try {
      const [row] = await store.db.all<{ n: number; keys: number }>(
        'SELECT count(*) AS n, count(DISTINCT (run_id, item_id, sample)) AS keys FROM results',
      );
      expect(row).toEqual({ n: N, keys: N });
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('evalhouse import finds the server that holds the DuckDB file', () => {
  it('with no PORT or EVALHOUSE_URL, reaches a server on a random port through its address file', async () => {
    const db = `${tmp.dir}/found.duckdb`;
    const server = await startServer({ DUCKDB_PATH: db, PORT: '0' });
    let info: { pid: number; url: string; started_at: string; store: string };
    try {
      info = JSON.parse(readFileSync(serverFilePath(db), 'utf8'));
      expect(info).toMatchObject({ pid: server.child.pid, store: 'duckdb' });
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Number.isNaN(Date.parse(info.started_at))).toBe(false);
      const file = `${tmp.dir}/found.jsonl`;
      writeFileSync(file, `${canonicalLines(3).join('\n')}\n`);
      // the CLI's environment names the DuckDB file only: no PORT, no EVALHOUSE_URL
      const r = await evalhouse(['import', file], { DUCKDB_PATH: db }).done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`importing through ${info.url}/imports`);
      expect(r.stdout).toMatch(/3 rows \(3 new, 0 already stored\)/);
      const listed = (await (await fetch(`${info.url}/benchmarks`)).json()) as {
        benchmarks: { benchmark: string; results: number }[];
      };
      expect(listed.benchmarks.find((b) => b.benchmark === 'cli-bench')?.results).toBe(3);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    // removed on close: the next CLI opens the file itself
    expect(existsSync(serverFilePath(db))).toBe(false);
    expect(await count(db)).toBe(3);
  }, 120_000);

  it('ignores a stale address file (its pid is gone, or its URL does not answer) and opens the file', async () => {
    const db = `${tmp.dir}/stale.duckdb`;
    const file = `${tmp.dir}/stale.jsonl`;
    writeFileSync(file, `${canonicalLines(4).join('\n')}\n`);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(gone.stdout);
    // a process that lives (this test) but is no server, and a pid that exited
    for (const [i, pid] of [deadPid, process.pid].entries()) {
      writeFileSync(
        serverFilePath(db),
        JSON.stringify({
          pid,
          url: 'http://127.0.0.1:9',
          started_at: new Date().toISOString(),
          duckdb_path: db,
          store: 'duckdb',
        }),
      );
      const r = await evalhouse(['import', file], { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' })
        .done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/importing through/);
      expect(r.stdout).toMatch(i === 0 ? /4 rows \(4 new/ : /4 rows \(0 new, 4 already stored\)/);
    }
    expect(await count(db)).toBe(4);
  }, 60_000);
});
