/**
 * The bundled demo data, imported once at install (`npm ci` runs scripts/build-demo-store.ts) into a
 * DuckDB file of its own, by the same importer a first start would run. A first start on the embedded
 * default (no store file yet, DEMO_DATA=auto) copies that file into place instead of importing again:
 * the user sees data within the server's start-up. The file carries a stamp of what made it (the demo
 * files, the DuckDB schema, the importer and store code, the lockfile); a stale or missing one is never
 * used, and the first start imports as before (api/demo.ts).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DEMO_DIR } from './demo.ts';

const ROOT = new URL('../', import.meta.url).pathname;
export const DEMO_STORE = join(DEMO_DIR, '.store', 'demo.duckdb');
const STAMP = `${DEMO_STORE}.stamp.json`;
/** What the prebuilt store is made from: if any of it changes, the store is stale. */
const INPUTS = ['demo', 'sql/duckdb', 'ingest', 'store', 'core', 'api/demo.ts', 'package-lock.json'];

function files(path: string): string[] {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [path];
  return readdirSync(abs)
    .filter((e) => e !== '.store' && !e.endsWith('.test.ts'))
    .sort()
    .flatMap((e) => files(join(path, e)));
}

/** A hash of every input's path and content (a few ms: about 1 MB). */
export function demoStoreKey(): string {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap(files)) {
    h.update(relative(ROOT, join(ROOT, f)));
    h.update(readFileSync(join(ROOT, f)));
  }
  return h.digest('hex');
}

/** Whether the prebuilt store exists and was made from exactly the current inputs. */
export function demoStoreFresh(key = demoStoreKey()): boolean {
  if (!existsSync(DEMO_STORE) || !existsSync(STAMP)) return false;
  try {
    return (JSON.parse(readFileSync(STAMP, 'utf8')) as { key?: string }).key === key;
  } catch {
    return false;
  }
}

/** Puts a built store file in place with its stamp (written last: a store without one is never used). */
export function installDemoStore(built: string, key: string): void {
  rmSync(STAMP, { force: true });
  rmSync(`${built}.wal`, { force: true }); // (empty after the builder's checkpoint)
  renameSync(built, DEMO_STORE);
  writeFileSync(STAMP, JSON.stringify({ key, built_at: new Date().toISOString() }));
}

/**
 * On a first start of the embedded store (no file at `path`), copies the prebuilt demo store there when
 * it is fresh. Returns whether it did; the caller imports the demo files otherwise.
 */
export function seedFromDemoStore(path: string): boolean {
  if (path === ':memory:' || existsSync(path) || existsSync(`${path}.wal`)) return false;
  if (!demoStoreFresh()) return false;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.seed-${process.pid}`;
  copyFileSync(DEMO_STORE, tmp);
  renameSync(tmp, path); // whole or not at all: a killed copy leaves no half store at `path`
  return true;
}
