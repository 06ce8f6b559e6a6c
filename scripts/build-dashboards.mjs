#!/usr/bin/env node
// Builds the web UI (dashboards/ → dashboards/dist) with Vite. Run by `npm ci` (prepare), before `npm start` and
// before `npm test`; it skips the build when dist is newer than every source, so those stay fast. --force builds.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dashboards/dist/index.html');
const sources = [
  'dashboards/src',
  'dashboards/index.html',
  'dashboards/vite.config.ts',
  'charts',
  'package-lock.json',
];

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

const force = process.argv.includes('--force');
const stale =
  force ||
  !existsSync(dist) ||
  sources.some((s) => existsSync(join(root, s)) && newest(join(root, s)) > statSync(dist).mtimeMs);
if (!stale) process.exit(0);

let vite;
try {
  vite = await import('vite');
} catch {
  // a production install without devDependencies: the server says how to build the UI at `/`
  console.error(
    'dashboards: vite is not installed (npm ci without --omit=dev builds the UI); skipping the build',
  );
  process.exit(0);
}
const t0 = Date.now();
await vite.build({ configFile: join(root, 'dashboards/vite.config.ts'), logLevel: force ? 'info' : 'warn' });
// pre-compressed copies, which the API serves to clients that accept them (@fastify/static preCompressed)
const out = join(root, 'dashboards/dist');
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
  );
for (const f of walk(out).filter((f) => /\.(js|css|html|svg|json)$/.test(f))) {
  const body = readFileSync(f);
  writeFileSync(`${f}.gz`, gzipSync(body, { level: 9 }));
  writeFileSync(`${f}.br`, brotliCompressSync(body));
}
console.log(`dashboards: built dashboards/dist in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
