import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory removed by the returned function. */
export function tmpDir(prefix = 'evalhouse-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Path of the shared data folder (../shared/data from the project root). */
export const SHARED_DATA = new URL('../../../shared/data/', import.meta.url).pathname;
