import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { describeError } from '../../cli/errors.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

/** A stack frame as Node prints it: what an ordinary mistake must not show. */
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const NOWHERE = 'http://127.0.0.1:9';

function oneLine(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

/** A TCP port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('the CLI prints one line for an ordinary mistake', () => {
  it('a file whose format cannot be told (was "unexpected error, a bug" with a trace)', async () => {
    const file = `${tmp.dir}/notes.txt`;
    writeFileSync(file, 'hello\n');
    const r = await evalhouse(['import', file], {
      DUCKDB_PATH: `${tmp.dir}/fmt.duckdb`,
      EVALHOUSE_URL: NOWHERE,
    }).done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/a bug/);
    expect(r.stderr).toMatch(/cannot tell the format of notes\.txt/);
  });

  it('a locked DuckDB file (an AppError from the core)', async () => {
    const db = `${tmp.dir}/held.duckdb`;
    const held = await DuckDbStore.open(db);
    try {
      const r = await evalhouse(['migrate'], { DUCKDB_PATH: db, EVALHOUSE_URL: NOWHERE }).done;
      oneLine(r, /^evalhouse migrate: the DuckDB file .*held\.duckdb is in use by another process/);
      // --verbose adds the trace
      const v = await evalhouse(['migrate', '--verbose'], { DUCKDB_PATH: db, EVALHOUSE_URL: NOWHERE }).done;
      expect(v.code).toBe(1);
      expect(v.stderr).toMatch(/is in use by another process/);
      expect(v.stderr).toMatch(STACK);
    } finally {
      await held.close();
    }
  });

  it('a path that cannot be a file, a file that cannot be written', async () => {
    const notDir = `${tmp.dir}/plain-file`;
    writeFileSync(notDir, 'x');
    oneLine(
      await evalhouse(['migrate'], { DUCKDB_PATH: `${notDir}/x.duckdb` }).done,
      /^evalhouse migrate: .*(EEXIST|ENOTDIR).*plain-file/,
    );
    oneLine(
      await evalhouse(
        [
          'models',
          'add',
          '--name',
          'a',
          '--provider',
          'openai',
          '--model',
          'gpt-x',
          '--models-file',
          `${tmp.dir}/no/such/models.yaml`,
        ],
        {},
      ).done,
      /^evalhouse models: ENOENT: no such file or directory.*no\/such\/models\.yaml/,
    );
  });

  it('MySQL unreachable or refusing the user', async () => {
    const port = await closedPort();
    oneLine(
      await evalhouse(['migrate'], { MYSQL_URL: `mysql://root@127.0.0.1:${port}/x` }).done,
      new RegExp(`^evalhouse migrate: MySQL at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    oneLine(
      await evalhouse(['migrate'], { MYSQL_URL: 'mysql://nobody_here@127.0.0.1:3306/x' }).done,
      /^evalhouse migrate: MySQL at 127\.0\.0\.1:3306: Access denied for user 'nobody_here'/,
    );
  });

  it('a 4xx from the server says what it refused', async () => {
    const db = `${tmp.dir}/served.duckdb`;
    const server = await startServer({ DUCKDB_PATH: db, PORT: '0' });
    try {
      const file = `${tmp.dir}/one.jsonl`;
      writeFileSync(file, `${JSON.stringify({ benchmark: 'b', model: 'm', item_id: 1, correct: true })}\n`);
      const r = await evalhouse(['import', '--run', 'r'.repeat(300), file], { DUCKDB_PATH: db }).done;
      expect(r.stderr).toMatch(/importing through/);
      const lines = r.stderr.trim().split('\n');
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(STACK);
      expect(lines.at(-1)).toMatch(
        new RegExp(
          // each refused file is reported on its line and the next file is tried (the exit code says it failed)
          `^the server at ${server.url} refused .*one\\.jsonl \\(400 VALIDATION_FAILED\\): .*run.*; nothing imported from .*one\\.jsonl$`,
        ),
      );
      // a second server on the same file is refused, naming the first
      const second = await evalhouse(['serve'], { DUCKDB_PATH: db, PORT: '0' }).done;
      oneLine(
        second,
        new RegExp(
          `^evalhouse serve: the evalhouse server at ${server.url} \\(pid ${server.child.pid}\\) already holds`,
        ),
      );
    } finally {
      await server.stop();
    }
  }, 120_000);
});

describe('describeError', () => {
  it('names an unreachable server with the system error', async () => {
    const port = await closedPort();
    const err = await fetch(`http://127.0.0.1:${port}/health`).catch((e: unknown) => e);
    expect(describeError(err)).toMatch(new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('has no line for a bug: the caller prints its stack', () => {
    expect(describeError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeNull();
    expect(describeError(new Error('boom'))).toBeNull();
  });
});
