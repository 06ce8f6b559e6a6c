import { afterAll, describe, expect, it } from 'vitest';
import { evalhouse } from '../helpers/cli.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { tmpDir } from '../helpers/tmp.ts';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('evalhouse run against a base URL where nothing listens', () => {
  it('stops at once, names the URL and ECONNREFUSED, and exits non-zero', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/v1`;
    const r = await evalhouse(
      [
        'run',
        '--benchmark',
        'aime-2024',
        '--model',
        'openai-compatible:x',
        '--base-url',
        url,
        '--limit',
        '8',
      ],
      // PORT: no server answers there either, so the CLI runs on the DuckDB file itself
      { DUCKDB_PATH: `${tmp.dir}/cli.duckdb`, PORT: String(port) },
    ).done;
    expect(r.code, r.stderr).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`127.0.0.1:${port}`);
    expect(out).toMatch(/ECONNREFUSED/);
    expect(r.stdout).toMatch(/: failed/);
    expect(r.stdout).not.toMatch(/completed/);
  }, 60_000);
});
