/**
 * A starting server removes the upload and mirror scratch folders of processes that no longer run (and
 * legacy-named ones older than itself), and nothing else: a live process's folders and other files stay.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = tmpDir('evalhouse-scratchtest-');
afterAll(() => tmp.cleanup());

it('removes scratch folders of dead processes at start, keeps those of live ones', async () => {
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  const folders = {
    deadImport: `evalhouse-import-${dead}-aB3dE9`,
    deadMirror: `evalhouse-mirror-${dead}-Zz12Yy`,
    legacy: 'evalhouse-import-Qw12Er',
    live: `evalhouse-import-${process.pid}-Ab12Cd`,
    liveMirror: `evalhouse-mirror-${process.pid}-Cd34Ef`,
    other: 'evalhouse-import-kill-Ab12Cd',
    unrelated: 'something-else',
  };
  for (const name of Object.values(folders)) {
    mkdirSync(join(tmp.dir, name));
    writeFileSync(join(tmp.dir, name, 'results.jsonl'), '{}\n');
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TMPDIR: tmp.dir,
      PORT: '0',
      DEMO_DATA: 'off',
      DUCKDB_PATH: join(tmp.dir, 's.duckdb'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/listening/i.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
  child.kill('SIGTERM');
  await new Promise((res) => child.on('exit', res));
  const left = Object.fromEntries(
    Object.entries(folders).map(([k, name]) => [k, existsSync(join(tmp.dir, name))]),
  );
  expect(left).toEqual({
    deadImport: false,
    deadMirror: false,
    legacy: false,
    live: true,
    liveMirror: true,
    other: true,
    unrelated: true,
  });
  expect(out).toMatch(/removed 3 scratch folder/);
}, 60_000);
