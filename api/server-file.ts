import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The address file a server writes beside the DuckDB file it holds, so that a CLI started in any
 * shell (whatever its PORT or EVALHOUSE_URL) finds the server instead of the lock.
 */
const ServerFile = z.object({
  pid: z.number().int().positive(),
  url: z.string().url(),
  started_at: z.string(),
  duckdb_path: z.string(),
  store: z.enum(['duckdb', 'mysql']),
});
export type ServerFile = z.infer<typeof ServerFile>;

export const serverFilePath = (duckdbPath: string) => `${resolve(duckdbPath)}.server.json`;

/** A URL a client on this machine can use for the address the server is bound to. */
export function localUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '[::1]'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  return `http://${host}:${address.port}`;
}

/** Written atomically (rename), so a reader never sees half a file. */
export function writeServerFile(duckdbPath: string, info: Omit<ServerFile, 'duckdb_path'>): void {
  const path = serverFilePath(duckdbPath);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...info, duckdb_path: resolve(duckdbPath) }, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The file's content, or null when there is none or it is not one of ours. */
export function readServerFile(duckdbPath: string): ServerFile | null {
  try {
    const parsed = ServerFile.safeParse(JSON.parse(readFileSync(serverFilePath(duckdbPath), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Removes the file if it is still this process's (never another server's). */
export function removeServerFile(duckdbPath: string, pid = process.pid): void {
  if (readServerFile(duckdbPath)?.pid === pid) rmSync(serverFilePath(duckdbPath), { force: true });
}
