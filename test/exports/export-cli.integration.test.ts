import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** `evalhouse export` on the store directly and through a running server: the same file either way. */
const tmp = tmpDir();
afterAll(() => tmp.cleanup());

const lines = Array.from({ length: 40 }, (_, i) =>
  JSON.stringify({
    benchmark: 'cli-export',
    model: i < 20 ? 'm-a' : 'm-b',
    item_id: `q${i % 20}`,
    correct: (i * 7) % 3 !== 0,
    metadata: { subject: `s${i % 4}` },
  }),
);

/** The csv's data lines, without the provenance line (its time differs between two exports). */
const dataLines = (csv: string) => csv.split('\r\n').slice(1).join('\r\n');

describe('evalhouse export', () => {
  it('writes the named file on the store, then the same through a server; bad input exits 2 or 1', async () => {
    const db = `${tmp.dir}/e.duckdb`;
    const data = `${tmp.dir}/r.jsonl`;
    writeFileSync(data, `${lines.join('\n')}\n`);
    const env = { DUCKDB_PATH: db, EVALHOUSE_URL: 'http://127.0.0.1:9' };
    expect((await evalhouse(['import', data], env).done).code).toBe(0);
    const queryFile = `${tmp.dir}/q.json`;
    writeFileSync(queryFile, JSON.stringify({ benchmark: 'cli-export', levels: ['subject'] }));
    const direct = await evalhouse(
      [
        'export',
        '--kind',
        'analysis',
        '--format',
        'csv',
        '--query',
        queryFile,
        '-o',
        `${tmp.dir}/direct.csv`,
      ],
      env,
    ).done;
    expect(direct.code, direct.stderr).toBe(0);
    const csv = readFileSync(`${tmp.dir}/direct.csv`, 'utf8');
    const header = csv.split('\r\n')[1]!;
    expect(header.startsWith('model,subject,n,')).toBe(true);
    // 2 models × 4 subjects; m-a on s0: items 0, 4, 8, 12, 16, correct when (i·7) % 3 ≠ 0
    const rows = csv.split('\r\n').slice(2, -1);
    expect(rows).toHaveLength(8);
    const cols = header.split(',');
    const a0 = rows.map((r) => r.split(',')).find((r) => r[0] === 'm-a' && r[1] === 's0')!;
    const expected = [0, 4, 8, 12, 16].filter((i) => (i * 7) % 3 !== 0).length / 5;
    expect(Number(a0[cols.indexOf('accuracy')])).toBeCloseTo(expected, 12);

    const server = await startServer({ DUCKDB_PATH: db });
    try {
      const remote = await evalhouse(
        [
          'export',
          '--kind',
          'analysis',
          '--format',
          'csv',
          '--query',
          queryFile,
          '-o',
          `${tmp.dir}/remote.csv`,
        ],
        env,
      ).done;
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stderr).toContain('exporting through');
      expect(dataLines(readFileSync(`${tmp.dir}/remote.csv`, 'utf8'))).toBe(dataLines(csv));
      const unknown = await evalhouse(
        ['export', '--kind', 'analysis', '--format', 'csv', '--query', '{"benchmark": "nope", "levels": []}'],
        env,
      ).done;
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/404.*unknown benchmark "nope"/);
    } finally {
      await server.stop();
    }
    const usage = await evalhouse(['export', '--kind', 'analysis', '--format', 'docx'], env).done;
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--format');
  });
});
