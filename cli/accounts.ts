import { accountDb } from '../accounts/account-db.ts';
import { KyselyAccountStore } from '../accounts/account-store.ts';
import { DEFAULT_WORKSPACE } from '../accounts/roles.ts';
import type { AuditActor, Organisation, Workspace } from '../accounts/types.ts';
import { type DataAudit, dataAuditAs } from '../api/data-audit.ts';
import { readServerFile } from '../api/server-file.ts';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import type { RecordStore } from '../core/store.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';
import { isDatabaseOfRecord, openRecordStore } from '../store/open.ts';
import { CliError } from './errors.ts';

/** Who the account commands act as in the audit log: the machine's operator, admin of everything. */
export const CLI_ACTOR: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: null,
  address: 'cli',
};

/**
 * Runs `f` on the accounts of the control database, opened directly (these commands have no API of
 * their own to go through: they make the first admin). An embedded file a server holds is refused
 * with the server named.
 */
export async function withAccounts<T>(
  config: Config,
  f: (accounts: KyselyAccountStore) => Promise<T>,
): Promise<T> {
  return withControlStore(
    config,
    "stop it to manage accounts from the command line, or use the server's /members and /keys API",
    (store) => f(new KyselyAccountStore(accountDb(store), { auth: config.auth })),
  );
}

/**
 * Runs `f` on the control database (the configured store of record), opened directly; an embedded file
 * a server holds is refused with the server named and `hint` (what to do instead).
 */
export async function withControlStore<T>(
  config: Config,
  hint: string,
  f: (store: DuckDbStore | MysqlStore) => Promise<T>,
): Promise<T> {
  let store: Awaited<ReturnType<typeof openRecordStore>>;
  try {
    store = await openRecordStore(config);
  } catch (err) {
    if (err instanceof AppError && err.code === 'DUCKDB_LOCKED') {
      const holder = readServerFile(config.duckdbPath);
      throw new CliError(
        `the DuckDB file ${config.duckdbPath} is in use by another process${
          holder ? ` (the evalhouse server at ${holder.url}, pid ${holder.pid})` : ''
        }: ${hint}`,
      );
    }
    throw err;
  }
  try {
    if (!isDatabaseOfRecord(store)) throw new Error('unknown store kind');
    return await f(store);
  } finally {
    await store.close();
  }
}

/** The workspace a command names (`--workspace`, else `default`), or a one-line refusal naming the others. */
export async function workspaceOf(
  accounts: KyselyAccountStore,
  slug: string | undefined,
): Promise<Workspace> {
  const want = slug ?? DEFAULT_WORKSPACE;
  const w = await accounts.getWorkspace(want);
  if (w) return w;
  const known = (await accounts.listWorkspaces()).map((x) => x.slug);
  throw new CliError(`unknown workspace "${want}"; workspaces: ${known.join(', ')}`);
}

/** The organisation a command names (`--org`, else `default`), or a one-line refusal naming the others. */
export async function orgOf(accounts: KyselyAccountStore, slug: string | undefined): Promise<Organisation> {
  const want = slug ?? DEFAULT_WORKSPACE;
  const o = await accounts.getOrganisation(want);
  if (o) return o;
  const known = (await accounts.listOrganisations()).map((x) => x.slug);
  throw new CliError(`unknown organisation "${want}"; organisations: ${known.join(', ')}`);
}

/** Prints rows as aligned columns under a header. */
export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) {
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  }
}

/**
 * The audit of what a command changes in the `default` workspace's store when it works on the store
 * itself (no server): the same entries the API writes, in the change's transaction, by CLI_ACTOR.
 */
export async function cliDataAudit(store: RecordStore, config: Config): Promise<DataAudit> {
  if (!isDatabaseOfRecord(store)) return dataAuditAs(store, null, CLI_ACTOR);
  const accounts = new KyselyAccountStore(accountDb(store), { auth: config.auth });
  const ws = await accounts.getWorkspace(DEFAULT_WORKSPACE);
  return dataAuditAs(store, ws?.id ?? null, CLI_ACTOR);
}
