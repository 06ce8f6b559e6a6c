import { DEFAULT_WORKSPACE } from '../accounts/roles.ts';
import { WORKSPACE_HEADER } from '../api/auth/scope.ts';
import { readServerFile, type ServerFile } from '../api/server-file.ts';
import type { Config } from '../core/config.ts';
import { UsageError } from './command.ts';

/** Who the CLI's requests to a server are from and for: EVALHOUSE_API_KEY and the command's --workspace. */
let identity: { apiKey?: string | undefined; workspace?: string | undefined } = {};

/**
 * Takes `--workspace SLUG` (or `--workspace=SLUG`) out of a command's arguments, and remembers it with
 * EVALHOUSE_API_KEY for `serverHeaders`. The commands that talk to a server (import, export, run, runs)
 * call it first.
 */
export function useRemoteIdentity(argv: string[], config: Pick<Config, 'apiKey'>): string[] {
  const rest: string[] = [];
  let workspace: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--workspace') {
      workspace = argv[++i];
      if (!workspace) throw new UsageError('--workspace needs a workspace slug');
    } else if (a.startsWith('--workspace=')) workspace = a.slice('--workspace='.length);
    else rest.push(a);
  }
  identity = { apiKey: config.apiKey, workspace };
  return rest;
}

/** The headers of a request to a server: the API key (Authorization: Bearer) and the workspace, when given. */
export function serverHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...(identity.apiKey ? { authorization: `Bearer ${identity.apiKey}` } : {}),
    ...(identity.workspace ? { [WORKSPACE_HEADER]: identity.workspace } : {}),
  };
}

/** Refuses --workspace (another than default) where the command works on the store itself, with no server. */
export function assertDefaultWorkspaceLocally(): void {
  if (identity.workspace && identity.workspace !== DEFAULT_WORKSPACE) {
    throw new UsageError(
      `--workspace ${identity.workspace}: no server is running, and without one this command works on the default workspace's store only; start the server (evalhouse serve) or leave --workspace out`,
    );
  }
}

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
