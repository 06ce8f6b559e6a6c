import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A free loopback port (bound, then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A redis-server of the test's own (Debian's binary), nothing on disk, so a test may FLUSHALL it or
 * stop it without touching the machine's shared Redis.
 */
export async function startRedis(
  onPort?: number,
): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const port = onPort ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const t0 = Date.now();
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() - t0 > 10_000)
      throw new Error(`redis-server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** where it serves /metrics and /health */
  url: string;
  output: () => string;
  /** SIGTERM, and the exit code */
  stop: () => Promise<number | null>;
  exited: Promise<number | null>;
}

/** `evalhouse worker` in a child process (node --import tsx: its pid is the worker's, kill -9 kills it). */
export async function startWorker(env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${ROOT}cli/main.ts`, 'worker', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      TZ: 'UTC',
      WORKER_METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  for (;;) {
    const m = /metrics (http:\/\/[^\s]+)\/metrics/.exec(out);
    if (m) {
      return {
        child,
        url: m[1]!,
        output: () => out,
        exited,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${out}`);
    if (Date.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `f` until it returns a value that is not undefined (or throws after `timeoutMs`). */
export async function eventually<T>(
  f: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
