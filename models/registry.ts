/**
 * The registry of a workspace's context (#22): `registryOf(ctx, workspaceId)` is how the routes, the
 * runs, the health scheduler and the playground reach the models of the request's workspace, in that
 * workspace's own database (the record store: MySQL, or the embedded DuckDB file).
 */
import { accountDb } from '../accounts/account-db.ts';
import type { Config } from '../core/config.ts';
import { defaultKeyEnv } from '../ingest/providers/models.ts';
import { createProviderWithKey, ModelSetupError } from '../ingest/providers/registry.ts';
import type { Provider } from '../ingest/providers/types.ts';
import type { DuckDbStore } from '../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';
import { isDatabaseOfRecord } from '../store/open.ts';
import { KyselyModelRegistry, type RegistryOptions } from './registry-store.ts';
import type { CallableModel } from './types.ts';

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
  return registryOfStore(ctx.mysql ?? ctx.duck, ctx.config, workspaceId, o);
}

/** The registry of a database of record (registryOf's, for callers that hold the store itself). */
export function registryOfStore(
  store: DuckDbStore | MysqlStore,
  config: Config,
  workspaceId: number | null = null,
  o: Pick<RegistryOptions, 'clock' | 'lookup'> = {},
): KyselyModelRegistry {
  if (o.clock || o.lookup) return new KyselyModelRegistry(accountDb(store), { config, workspaceId, ...o });
  let byWs = opened.get(store);
  if (!byWs) {
    byWs = new Map();
    opened.set(store, byWs);
  }
  let r = byWs.get(workspaceId);
  if (!r) {
    r = new KyselyModelRegistry(accountDb(store), { config, workspaceId });
    byWs.set(workspaceId, r);
  }
  return r;
}

/** The registry of a store that may be ours or not (route-only tests' memory store: none). */
export function maybeRegistryOf(
  store: unknown,
  config: Config,
  workspaceId: number | null,
): KyselyModelRegistry | null {
  return isDatabaseOfRecord(store) ? registryOfStore(store, config, workspaceId) : null;
}

/** The provider of a callable model, with its decrypted key; a provider that needs a key and has none: the fix. */
export async function providerOf(c: CallableModel): Promise<Provider> {
  if (c.apiKey === null && defaultKeyEnv(c.def.provider) !== undefined)
    throw new ModelSetupError(
      `model "${c.model.name}" (${c.def.provider}) has no API key: set one with PUT /models/${c.model.id} {"api_key": …}`,
    );
  return createProviderWithKey(c.def, c.apiKey ?? 'none');
}
