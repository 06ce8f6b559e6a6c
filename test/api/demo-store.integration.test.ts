/**
 * The prebuilt demo store (api/demo-store.ts): what a first start copies holds exactly what importing the
 * bundled demo files into an empty store holds, it is used only on a first start of the embedded store, and
 * only while it is fresh. Real data: demo/*.jsonl.gz.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../api/demo.ts';
import { DEMO_STORE, demoStoreFresh, demoStoreKey, seedFromDemoStore } from '../../api/demo-store.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { dump } from '../helpers/store-dump.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const tmp = tmpDir('evalhouse-demo-store-');
afterAll(() => tmp.cleanup());

beforeAll(() => {
  // npm ci built it; a source change since makes it stale: build it as `npm start` would
  if (!demoStoreFresh())
    execFileSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/build-demo-store.ts'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
}, 120_000);

describe('the prebuilt demo store', () => {
  it('is fresh after the build, and its stamp names exactly the current inputs', () => {
    expect(existsSync(DEMO_STORE)).toBe(true);
    expect(demoStoreFresh()).toBe(true);
    expect(demoStoreFresh(`${demoStoreKey()}x`)).toBe(false);
  });

  it('a first start copies it; it holds what importing the demo files holds', async () => {
    const seeded = join(tmp.dir, 'seeded.duckdb');
    expect(seedFromDemoStore(seeded)).toBe(true);
    const a = await DuckDbStore.open(seeded);
    const b = await DuckDbStore.open(join(tmp.dir, 'imported.duckdb'));
    try {
      const rows = await loadDemoData(b, () => undefined);
      expect(rows).toBeGreaterThan(400_000);
      // a seeded store is not empty: the server's own demo load then leaves it alone
      expect(await loadDemoData(a, () => undefined)).toBe(0);
      expect(await dump(a)).toEqual(await dump(b));
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);

  it('is never copied over an existing store (or its WAL)', () => {
    const existing = join(tmp.dir, 'existing.duckdb');
    writeFileSync(existing, 'not ours to replace');
    expect(seedFromDemoStore(existing)).toBe(false);
    const walOnly = join(tmp.dir, 'wal-only.duckdb');
    writeFileSync(`${walOnly}.wal`, '');
    expect(seedFromDemoStore(walOnly)).toBe(false);
    expect(existsSync(walOnly)).toBe(false);
  });
});
