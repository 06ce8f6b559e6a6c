import type { Config } from '../core/config.ts';

/**
 * In embedded mode only one process can open the DuckDB file. When a server already has it,
 * the CLI's writing commands go through the server's API instead. Returns its URL if one answers.
 */
export async function runningServer(config: Config): Promise<string | null> {
  if (config.mysqlUrl) return null; // MySQL takes writes from any number of processes
  try {
    const res = await fetch(`${config.evalhouseUrl}/health`, { signal: AbortSignal.timeout(500) });
    const body = (await res.json()) as { service?: string };
    return body.service === 'evalhouse' ? config.evalhouseUrl : null;
  } catch {
    return null;
  }
}
