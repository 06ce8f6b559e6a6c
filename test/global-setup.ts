import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FIXTURE_DATA, FIXTURE_GZ } from './helpers/fixtures.ts';

/**
 * The tests read real files from ../shared/data (evaluation harness outputs, published per-item
 * results). A copy of the ones they need is bundled gzipped in test/fixtures/data (see its README);
 * this unpacks it once per checkout into test/fixtures/.data, so a fresh clone tests on its own.
 */
function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.gz')) yield p;
  }
}

export default function setup(): void {
  for (const gz of files(FIXTURE_GZ)) {
    const out = join(FIXTURE_DATA, relative(FIXTURE_GZ, gz).slice(0, -3));
    try {
      if (statSync(out).mtimeMs >= statSync(gz).mtimeMs) continue;
    } catch {
      // not unpacked yet
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, gunzipSync(readFileSync(gz)));
  }
}
