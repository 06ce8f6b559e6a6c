/**
 * kill -9 of the runner at random moments, 20 times on a 2,000-item run, resuming each time with the same
 * command, against the fake provider and a real DuckDB file: exactly 2,000 results, no duplicates, and the
 * provider calls answered but never stored stay within concurrency × kills.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAuditLog } from '../../accounts/audit-log.ts';
import { openDuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { writeBenchmarkFolder } from '../../test/fake-provider/bench-folder.ts';
import { answerFor } from '../../test/fake-provider/plan.ts';
import { type FakeProvider, startFakeProvider } from '../../test/fake-provider/server.ts';
import { tmpDir } from '../../test/helpers/tmp.ts';

const ITEMS = 2000;
const KILLS = 20;
const CONCURRENCY = 32;
/**
 * Answers held for the store at a crash are about rate × write time = concurrency × (write time / provider
 * latency). A DuckDB write takes ~40 ms here, so the fake provider is kept well slower than
 * that, as real ones are (the bench's 200 ms).
 */
const LATENCY_MS = 200;
const ROOT = new URL('../../', import.meta.url).pathname;

let fake: FakeProvider;
const tmp = tmpDir('evalhouse-crash-');
beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: LATENCY_MS, answer: (c) => answerFor(c.prompt) });
});
afterAll(async () => {
  await fake.close();
  tmp.cleanup();
});

function runner(
  bench: string,
  db: string,
  args: string[] = ['--run-id', 'crash', '--concurrency', String(CONCURRENCY)],
  env: Record<string, string> = {},
): { child: ChildProcess; exit: Promise<number | null>; output: () => string } {
  const child = spawn(
    process.execPath,
    [
      // node --import tsx, not tsx's CLI: that one relays a signal to the script's process and SIGKILLs
      // it when its reply takes over 30 ms, which a loaded machine's does (exit 130 instead of a pause).
      '--import',
      'tsx',
      'cli/main.ts',
      'run',
      '--benchmark',
      bench,
      '--model',
      'openai-compatible:fake-model',
      '--base-url',
      fake.openaiBaseURL,
      ...args,
    ],
    {
      cwd: ROOT,
      // Port 9 (discard) answers nothing: no "server holds the file" detour.
      env: { ...process.env, DUCKDB_PATH: db, MYSQL_URL: '', EVALHOUSE_URL: 'http://127.0.0.1:9', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, killed whole, as a crash of the machine would.
      detached: true,
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, output: () => out };
}

/** Live (non-zombie) processes of a process group, from /proc: a zombie holds no file lock. */
function groupAlive(pgid: number): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/** kill -9 of the whole process group, then wait until none of it runs (the DuckDB lock is free). */
async function killGroup(child: ChildProcess) {
  const pgid = child.pid!;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return;
  }
  while (groupAlive(pgid)) await new Promise((res) => setTimeout(res, 5));
}

it(`survives ${KILLS} kill -9 at random moments: exactly ${ITEMS} results, 0 duplicates, bounded waste`, async () => {
  const bench = writeBenchmarkFolder(join(tmp.dir, 'bench'), ITEMS);
  const db = join(tmp.dir, 'runs.duckdb');
  let kills = 0;
  let finished = false;
  for (let k = 0; k < KILLS; k++) {
    const before = fake.requests.length;
    const r = runner(bench, db);
    // Wait for this process to start asking, then kill it at a random moment in the next 300 ms.
    const started = performance.now();
    while (fake.requests.length === before && performance.now() - started < 20_000) {
      if (r.child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    if (process.env.CRASH_DEBUG)
      console.log(`spawn ${k}: first request after ${Math.round(performance.now() - started)} ms`);
    if (r.child.exitCode !== null) {
      finished = true; // it finished before we could kill it
      break;
    }
    await new Promise((res) => setTimeout(res, Math.random() * 300));
    const alive = r.child.exitCode === null;
    const t = performance.now();
    await killGroup(r.child);
    await r.exit;
    if (process.env.CRASH_DEBUG) console.log(`kill took ${Math.round(performance.now() - t)} ms`);
    if (alive) kills++;
  }
  if (!finished) {
    const last = runner(bench, db);
    const code = await last.exit;
    expect(code, last.output()).toBe(0);
    expect(last.output()).toMatch(/completed/);
  }

  const store = await openDuckDbStore(db);
  try {
    const run = await store.findRun('fake-mc', 'openai-compatible:fake-model', 'crash');
    expect(run?.status).toBe('completed');
    const [row] = await store.db.all<{ n: number; keys: number; errors: number }>(
      'SELECT count(*)::INTEGER AS n, count(DISTINCT (item_id, sample))::INTEGER AS keys, ' +
        'count(*) FILTER (WHERE outcome = 3)::INTEGER AS errors FROM results WHERE run_id = ?',
      [run!.id],
    );
    expect(row).toEqual({ n: ITEMS, keys: ITEMS, errors: 0 });
    expect((await store.doneKeys(run!.id)).size).toBe(ITEMS);
    const wasted = fake.answered() - ITEMS;
    console.log(
      `crash test: ${kills} kills, ${fake.requests.length} requests, ${fake.answered()} answered, ${wasted} wasted (bound ${CONCURRENCY * kills})`,
    );
    expect(kills).toBeGreaterThanOrEqual(KILLS - 2);
    expect(wasted).toBeGreaterThanOrEqual(0);
    expect(wasted).toBeLessThanOrEqual(CONCURRENCY * kills);
  } finally {
    await store.close();
  }
}, 180_000);

it('CLI: Ctrl-C pauses and prints how to resume; the same command resumes; a changed config or a missing key is refused', async () => {
  const bench = writeBenchmarkFolder(join(tmp.dir, 'bench-int'), 120);
  const db = join(tmp.dir, 'int.duckdb');
  const args = ['--run-id', 'int', '--concurrency', '8'];
  const before = fake.requests.length;
  const first = runner(bench, db, args);
  while (fake.requests.length < before + 20) await new Promise((res) => setTimeout(res, 5));
  first.child.kill('SIGINT'); // tsx relays it to the runner
  expect(await first.exit, first.output()).toBe(3);
  expect(first.output()).toMatch(/run #\d+ "int": paused \(interrupted/);
  expect(first.output()).toMatch(/resume with: evalhouse run --benchmark .* --resume \d+/);

  const changed = runner(bench, db, [...args, '--limit', '10']);
  expect(await changed.exit).toBe(2);
  expect(changed.output()).toMatch(/created with another configuration[\s\S]*limit: null → 10/);
  // refused before the run's row was touched: still paused, at once cancellable or deletable
  const paused = await openDuckDbStore(db);
  try {
    expect(await paused.findRun('fake-mc', 'openai-compatible:fake-model', 'int')).toMatchObject({
      status: 'paused',
    });
  } finally {
    await paused.close();
  }

  const noKey = runner(bench, db, [...args, '--api-key-env', 'EVALHOUSE_TEST_MISSING_KEY']);
  expect(await noKey.exit).toBe(2);
  expect(noKey.output()).toMatch(/set the environment variable EVALHOUSE_TEST_MISSING_KEY/);

  const again = runner(bench, db, args);
  expect(await again.exit, again.output()).toBe(0);
  expect(again.output()).toMatch(/resuming run #\d+ "int": \d+\/120 already stored/);
  expect(again.output()).toMatch(/accuracy 50\.0% ± 4\.6 \(n=120\)/);

  const store = await openDuckDbStore(db);
  try {
    const run = await store.findRun('fake-mc', 'openai-compatible:fake-model', 'int');
    expect(run).toMatchObject({ status: 'completed', statusReason: null });
    expect((await store.doneKeys(run!.id)).size).toBe(120);
    // audited as through the API: each start (the refused ones write none) and the Ctrl-C's pause
    const log = new KyselyAuditLog(accountDb(store));
    const entries = [...(await log.list({ limit: 100 }))].sort((a, b) => a.id - b.id);
    expect(entries.map((e) => [e.action, e.resource, e.address])).toEqual([
      ['run.create', `run:${run!.id}`, 'cli'],
      ['run.stop', `run:${run!.id}`, 'cli'],
      ['run.create', `run:${run!.id}`, 'cli'],
    ]);
    expect(entries[1]!.after).toEqual({ status: 'paused' });
    expect((await log.verify()).ok).toBe(true);
  } finally {
    await store.close();
  }
}, 60_000);
