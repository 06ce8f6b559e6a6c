/**
 * The registry of a workspace's context (#22): `registryOf(ctx, workspaceId)` is how the routes, the
 * runs, the health scheduler and the playground reach the models of the request's workspace, in that
 * workspace's own database (the record store: MySQL, or the embedded DuckDB file).
 */
import { accountDb } from '../accounts/account-db.ts';
import type { Config } from '../core/config.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';
import { KyselyModelRegistry, type RegistryOptions } from './registry-store.ts';

/** What a registry needs of a context: its config and its database of record. */
export interface RegistryContext {
  config: Config;
  mysql: MysqlStore | null;
  duck: DuckDbStore;
}

const opened = new WeakMap<DuckDbStore | MysqlStore, Map<number | null, KyselyModelRegistry>>();

/**
 * The registry of a context's database, its audit entries naming `workspaceId` (the request's workspace:
 * `accessOf(req).workspace.id`; null for a process acting on no workspace). One per database and
 * workspace id, so the scope and keyring are read once.
 */
export function registryOf(
  ctx: RegistryContext,
  workspaceId: number | null = null,
  o: Pick<RegistryOptions, 'clock' | 'lookup'> = {},
): KyselyModelRegistry {
  const store = ctx.mysql ?? ctx.duck;
  if (o.clock || o.lookup)
    return new KyselyModelRegistry(accountDb(store), { config: ctx.config, workspaceId, ...o });
  let byWs = opened.get(store);
  if (!byWs) {
    byWs = new Map();
    opened.set(store, byWs);
  }
  let r = byWs.get(workspaceId);
  if (!r) {
    r = new KyselyModelRegistry(accountDb(store), { config: ctx.config, workspaceId });
    byWs.set(workspaceId, r);
  }
  return r;
}
