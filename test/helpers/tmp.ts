import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory removed by the returned function. */
export function tmpDir(prefix = 'evalhouse-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The real data files tests read: an unchanged copy of the needed files of ../shared/data, bundled
 * in test/fixtures/data and unpacked by test/global-setup.ts (layout as in shared/data).
 */
export { FIXTURE_DATA as SHARED_DATA } from './fixtures.ts';
