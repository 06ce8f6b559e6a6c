import { readServerFile, type ServerFile } from '../api/server-file.ts';
import type { Config } from '../core/config.ts';

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether an evalhouse server answers /health at `url` (a degraded one answers 503: still ours). */
async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { service?: string };
    return body.service === 'evalhouse';
  } catch {
    return false;
  }
}

/**
 * The server that holds the DuckDB file, from the address file it writes beside it
 * (api/server-file.ts). A file whose pid is gone or whose URL does not answer is stale: ignored.
 */
export async function serverHoldingFile(duckdbPath: string): Promise<ServerFile | null> {
  const info = readServerFile(duckdbPath);
  if (!info || !pidAlive(info.pid)) return null;
  // a busy server (a large import) can be slow to answer; the pid says it is there
  return (await answers(info.url, 3000)) ? info : null;
}

/**
 * In embedded mode only one process can open the DuckDB file. When a server already has it,
 * the CLI's writing commands go through the server's API instead. Returns its URL if one answers:
 * the one the server advertises beside the DuckDB file, else EVALHOUSE_URL (default HOST:PORT).
 */
export async function runningServer(config: Config): Promise<string | null> {
  if (config.mysqlUrl) return null; // MySQL takes writes from any number of processes
  const holder = await serverHoldingFile(config.duckdbPath);
  if (holder) return holder.url;
  return (await answers(config.evalhouseUrl, 500)) ? config.evalhouseUrl : null;
}
