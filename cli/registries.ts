/**
 * The model registries of workspaces, opened directly by the CLI (`evalhouse models import`, `evalhouse
 * keys rotate-secret`): `default`'s lives in the control database, another workspace's in its own
 * database (api/tenancy.ts names them: `<DUCKDB_PATH>.ws-<id>.duckdb`, or `<db>_ws<id>` on MySQL).
 */
import { existsSync } from 'node:fs';
import { accountDb } from '../accounts/account-db.ts';
import { KyselyAccountStore } from '../accounts/account-store.ts';
import { DEFAULT_WORKSPACE } from '../accounts/roles.ts';
import type { Workspace } from '../accounts/types.ts';
import { workspaceDatabase, workspaceDuckdbPath } from '../api/tenancy.ts';
import type { Config } from '../core/config.ts';
import { registryOfStore } from '../models/registry.ts';
import type { KyselyModelRegistry } from '../models/registry-store.ts';
import { DuckDbStore, duckDbResources } from '../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { withControlStore, workspaceOf } from './accounts.ts';

const HINT = "stop it to change the model registry from the command line, or use the server's /models API";

/**
 * Opens a workspace's database (`default`: the control store itself). `create: false` gives null for a
 * workspace whose database was never made (nothing registered in it).
 */
async function openWorkspace(
  config: Config,
  control: DuckDbStore | MysqlStore,
  ws: Workspace,
  create: boolean,
): Promise<{ store: DuckDbStore | MysqlStore; close: () => Promise<void> } | null> {
  if (ws.slug === DEFAULT_WORKSPACE) return { store: control, close: async () => undefined };
  if (config.mysqlUrl && control instanceof MysqlStore) {
    const db = workspaceDatabase(config.mysqlUrl, ws.id);
    const found = await control.db.all(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [db.name],
    );
    if (found.length === 0) {
      if (!create) return null;
      // the name is ours (the configured database and an integer id), quoted as an identifier
      await control.pool.query(`CREATE DATABASE IF NOT EXISTS \`${db.name}\``);
    }
    const store = await MysqlStore.open(db.url, 2, duckDbResources(config));
    return { store, close: () => store.close() };
  }
  const path = workspaceDuckdbPath(config.duckdbPath, ws.id);
  if (!create && !existsSync(path)) return null;
  const store = await DuckDbStore.open(path, duckDbResources(config));
  return { store, close: () => store.close() };
}

/** Runs `f` on the registry of one workspace (`--workspace`, default `default`). */
export function withRegistry<T>(
  config: Config,
  slug: string | undefined,
  f: (registry: KyselyModelRegistry, ws: Workspace) => Promise<T>,
): Promise<T> {
  return withControlStore(config, HINT, async (control) => {
    const ws = await workspaceOf(new KyselyAccountStore(accountDb(control), { auth: config.auth }), slug);
    const opened = (await openWorkspace(config, control, ws, true))!;
    try {
      return await f(registryOfStore(opened.store, config, ws.id), ws);
    } finally {
      await opened.close();
    }
  });
}

/** Runs `f` on the registry of every workspace whose database exists, one at a time. */
export function forEachRegistry(
  config: Config,
  f: (registry: KyselyModelRegistry, ws: Workspace) => Promise<void>,
): Promise<void> {
  return withControlStore(config, HINT, async (control) => {
    const accounts = new KyselyAccountStore(accountDb(control), { auth: config.auth });
    for (const ws of await accounts.listWorkspaces()) {
      const opened = await openWorkspace(config, control, ws, false);
      if (!opened) continue;
      try {
        await f(registryOfStore(opened.store, config, ws.id), ws);
      } finally {
        await opened.close();
      }
    }
  });
}
