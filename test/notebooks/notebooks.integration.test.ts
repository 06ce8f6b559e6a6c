/**
 * Every notebook in notebooks/ executed headless (jupyter nbconvert --execute) against a real server holding
 * the bundled demo data. The notebooks assert their own numbers against independent recomputations from the
 * raw results, so a cell that raises fails this test with the notebook's error. The executed copies are left
 * in test-output/notebooks/ for a reviewer. Jupyter missing is a failure, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/cli.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NOTEBOOKS = join(ROOT, 'notebooks');
const OUT = join(ROOT, 'test-output/notebooks');
const DEBIAN =
  'apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient python3-ipykernel python3-pandas';
/** Debian's python (and its jupyter) first: a pyenv python3 earlier on PATH has no pandas. */
const PATH = `/usr/bin:/bin:${process.env.PATH ?? ''}`;

type Cell = {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
};
type Output = { output_type: string; text?: string | string[]; ename?: string; evalue?: string };
const notebooks = readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();
const cellsOf = (file: string): Cell[] => (JSON.parse(readFileSync(file, 'utf8')) as { cells: Cell[] }).cells;
const text = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colours of IPython's tracebacks
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

/** Runs `jupyter nbconvert ARGS` with Debian's tools first on PATH. */
function nbconvert(args: string[], env: Record<string, string> = {}) {
  return spawnSync('jupyter', ['nbconvert', ...args], {
    cwd: NOTEBOOKS,
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { PATH, HOME: process.env.HOME ?? '/tmp', TZ: 'UTC', PYDEVD_DISABLE_FILE_VALIDATION: '1', ...env },
  });
}

/** Executes a notebook into OUT; throws with the notebook's error output when a cell raises. */
function execute(file: string, env: Record<string, string>): string {
  const r = nbconvert(
    [
      '--to',
      'notebook',
      '--execute',
      '--ExecutePreprocessor.timeout=300',
      '--ExecutePreprocessor.kernel_name=python3',
      '--output-dir',
      OUT,
      file,
    ],
    env,
  );
  if (r.error) throw new Error(`jupyter nbconvert did not run (${r.error.message}): ${DEBIAN}`);
  if (r.status !== 0) {
    // from the failing cell on: nbconvert's own traceback before it says nothing about the notebook
    const err = plain(r.stderr);
    const at = err.indexOf('An error occurred while executing the following cell');
    throw new Error(`${file} failed (exit ${r.status}):\n${at >= 0 ? err.slice(at) : err}`);
  }
  return join(OUT, file);
}

describe('notebooks', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let cleanup = () => {};

  beforeAll(async () => {
    // the tools first: no point loading the demo data for a missing jupyter
    const version = nbconvert(['--version']);
    if (version.error || version.status !== 0) {
      throw new Error(`jupyter nbconvert is missing or broken (${plain(version.stderr ?? '')}): ${DEBIAN}`);
    }
    // the kernel nbconvert starts must import pandas: a one-cell probe notebook, executed the same way
    mkdirSync(OUT, { recursive: true });
    const probe = join(OUT, 'kernel-probe.ipynb');
    writeFileSync(
      probe,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [
          {
            cell_type: 'code',
            id: 'probe',
            metadata: {},
            execution_count: null,
            outputs: [],
            source: 'import sys, pandas, ipykernel\nprint(sys.executable, pandas.__version__)',
          },
        ],
      }),
    );
    try {
      execute(probe, {});
    } catch (err) {
      throw new Error(
        `the python3 kernel cannot import pandas and ipykernel: ${DEBIAN}\n${(err as Error).message}`,
      );
    }
    const tmp = tmpDir('evalhouse-notebooks-');
    cleanup = tmp.cleanup;
    server = await startServer(
      { DUCKDB_PATH: join(tmp.dir, 'nb.duckdb'), PORT: '0', DEMO_DATA: 'auto' },
      240_000, // the demo load is 15–30 s on this machine, more when the other cores are busy
    );
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    cleanup();
  });

  it('finds the notebooks, committed without outputs', () => {
    expect(notebooks).toEqual(
      expect.arrayContaining(['quickstart.ipynb', 'pass-at-k-math.ipynb', 'item-analysis-mmlu-redux.ipynb']),
    );
    for (const nb of notebooks) {
      for (const c of cellsOf(join(NOTEBOOKS, nb)).filter((c) => c.cell_type === 'code')) {
        expect({ nb, outputs: c.outputs, count: c.execution_count }).toEqual({
          nb,
          outputs: [],
          count: null,
        });
      }
    }
  });

  it.each(notebooks)(
    'executes %s: every cell runs and its assertions hold',
    (nb) => {
      const executed = cellsOf(execute(nb, { EVALHOUSE_URL: server!.url }));
      const code = executed.filter((c) => c.cell_type === 'code');
      const outputs = code.flatMap((c) => c.outputs ?? []);
      expect(outputs.filter((o) => o.output_type === 'error')).toEqual([]);
      expect(code.every((c) => typeof c.execution_count === 'number')).toBe(true);
      // each notebook prints what it checked; a notebook that asserted nothing would print no such line
      const printed = outputs.map((o) => text(o.text)).join('');
      expect(printed).toMatch(/equal/);
    },
    600_000,
  );

  it("the notebooks' comparison fails on a difference beyond 1e-9, a missing row, a missing value or other text", () => {
    const script = `
import pandas as pd, evalhouse_api as api
a = pd.DataFrame({"k": ["x", "y"], "v": [0.5, 0.25], "t": ["all_fail", ""]})
api.assert_frames_equal(a, a.assign(v=[0.5, 0.25 + 5e-10]), ["k"], ["v", "t"])
bad = [
    a.assign(v=[0.5, 0.25 + 2e-9]),
    a.head(1),
    a.assign(v=[0.5, None]),
    a.assign(t=["all_fail", "inverted"]),
]
failed = 0
for b in bad:
    try:
        api.assert_frames_equal(a, b, ["k"], ["v", "t"])
    except AssertionError:
        failed += 1
print(failed)
`;
    const r = spawnSync('python3', ['-c', script], { cwd: NOTEBOOKS, encoding: 'utf8', env: { PATH } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('4');
  });
});
