import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { serverFilePath } from '../../api/server-file.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/**
 * node --import tsx, not the tsx CLI: that one runs the script in a grandchild, which a kill of the
 * child leaves running (holding the pipes, the DuckDB file, a port), and whose pid is not the child's.
 */
const NODE_TSX = ['--import', 'tsx'];

/**
 * Runs `evalhouse ARGS` in a child process with the given environment; resolves with its exit and output.
 * `input`: what its standard input holds (none otherwise).
 */
export function evalhouse(
  args: string[],
  env: Record<string, string>,
  opts: { input?: string } = {},
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [...NODE_TSX, `${ROOT}cli/main.ts`, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TZ: 'UTC', ...env },
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/**
 * Starts the real server (api/server.ts) in a child process and waits for the address file it writes
 * beside DUCKDB_PATH (api/server-file.ts); `stop` sends SIGTERM and waits for the exit.
 */
export async function startServer(
  env: Record<string, string> & { DUCKDB_PATH: string },
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; url: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...NODE_TSX, `${ROOT}api/server.ts`], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      TZ: 'UTC',
      DEMO_DATA: 'off',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const file = serverFilePath(env.DUCKDB_PATH);
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; url: string };
      if (info.pid === child.pid) {
        return {
          child,
          url: info.url,
          output: () => output,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
        };
      }
    } catch {
      // not written yet
    }
    if (Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`no server address file ${file} after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
