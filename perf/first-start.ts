/**
 * The first start (issue 19): `npm start` (tsx api/server.ts) on an empty embedded store, which loads the
 * bundled demo data (demo/*.jsonl.gz, real results); time from the process's start to the first
 * GET /benchmarks answer holding data, and the demo import's own lines from the server's log.
 *
 *   npx tsx perf/first-start.ts [--runs 3] [--npm]   (target ≤ 5 s)
 *
 * Since 2026-12-01 the demo data is imported at install into a prebuilt store (api/demo-store.ts) that the
 * first start copies; the "demo data" lines say which happened.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('../', import.meta.url).pathname;
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, npm: { type: 'boolean', default: false } },
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function once(): Promise<{ seconds: number; benchmarks: number; log: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'evalhouse-first-start-'));
  const port = await freePort();
  const t0 = performance.now();
  // --npm: through `npm start`, its prestart checks (the UI build, the prebuilt demo store) included
  const [cmd, args] = values.npm
    ? ['npm', ['start', '--silent']]
    : [join(ROOT, 'node_modules/.bin/tsx'), ['api/server.ts']];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      DUCKDB_PATH: join(dir, 'evalhouse.duckdb'),
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm does not pass SIGTERM on to the server it started
  });
  const log: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l.startsWith('demo data')) log.push(l);
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/benchmarks`);
        if (res.ok) {
          const body = (await res.json()) as unknown;
          const list = Array.isArray(body) ? body : ((body as { benchmarks?: unknown[] }).benchmarks ?? []);
          if (list.length > 0)
            return { seconds: (performance.now() - t0) / 1000, benchmarks: list.length, log };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < Number(values.runs); i++) {
  const r = await once();
  console.log(
    `first start to data served: ${r.seconds.toFixed(2)} s (${r.benchmarks} benchmarks)  target ≤ 5 s: ${r.seconds <= 5 ? 'MET' : 'MISSED'}`,
  );
  for (const l of r.log) console.log(`  ${l}`);
}
