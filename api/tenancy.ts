import { DEFAULT_WORKSPACE } from '../accounts/roles.ts';
import type { Workspace } from '../accounts/types.ts';
import { errors } from '../core/errors.ts';
import { type AppContext, type OpenOptions, openStoreContext } from './context.ts';

/** The workspace a context is for: its id names its database, its slug says whether it is `default`. */
export type WorkspaceRef = Pick<Workspace, 'id' | 'slug'>;

/** `<DUCKDB_PATH without .duckdb>.ws-<id>.duckdb`: a workspace's DuckDB file (embedded) or mirror (MySQL). */
export function workspaceDuckdbPath(duckdbPath: string, id: number): string {
  return `${duckdbPath.replace(/\.duckdb$/, '')}.ws-${wsId(id)}.duckdb`;
}

/** The MySQL database of a workspace: `<db>_ws<id>` on the same server, same user. */
export function workspaceDatabase(mysqlUrl: string, id: number): { name: string; url: string } {
  const url = new URL(mysqlUrl);
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]+$/.test(db))
    throw new Error('MYSQL_URL must name its database (letters, digits, _ and $) for workspaces');
  const name = `${db}_ws${wsId(id)}`;
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/**
 * The MySQL database of a workspace, created on first use (the schema follows when a store opens it and
 * migrates): what the API's contexts and the queue's workers (accounts/workspace-stores.ts) both open.
 */
export async function ensureWorkspaceDatabase(
  server: { query(sql: string): Promise<unknown> },
  mysqlUrl: string,
  id: number,
): Promise<string> {
  const db = workspaceDatabase(mysqlUrl, id);
  // the name is ours (the configured database and an integer id), quoted as an identifier
  await server.query(`CREATE DATABASE IF NOT EXISTS \`${db.name}\``);
  return db.url;
}

function wsId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new Error(`not a workspace id: ${id}`);
  return id;
}

/**
 * Database per workspace: the `default` workspace is the root context itself (the configured stores,
 * which are also the control database); any other gets a context of its own, opened on first use and
 * kept: its own DuckDB file (embedded), or its own MySQL database `<db>_ws<id>` (created if absent, then
 * migrated) with its own mirror file and mirror loop. What a context holds per workspace follows: the
 * analysis caches, the data version, the mirror sync after an import. Shared with the root: the config,
 * the metrics and the queue (queue mode): a workspace's handle tags its jobs with the workspace, and the
 * workers run them into its database (accounts/workspace-stores.ts).
 */
export class Workspaces {
  private readonly opened = new Map<number, Promise<AppContext>>();
  private closed = false;

  constructor(
    readonly root: AppContext,
    private readonly opts: OpenOptions = {},
  ) {}

  /** The context of a workspace (the root for `default`). */
  context(ws: WorkspaceRef): Promise<AppContext> {
    if (ws.slug === DEFAULT_WORKSPACE) return Promise.resolve(this.root);
    if (this.closed) return Promise.reject(errors.unavailable('the server is closing'));
    let ctx = this.opened.get(ws.id);
    if (!ctx) {
      ctx = this.open(ws);
      this.opened.set(ws.id, ctx);
      // a failed open is tried again by the next request
      ctx.catch(() => {
        if (this.opened.get(ws.id) === ctx) this.opened.delete(ws.id);
      });
    }
    return ctx;
  }

  /** The workspace contexts opened so far, by workspace id (the root not included). */
  async openContexts(): Promise<Map<number, AppContext>> {
    const out = new Map<number, AppContext>();
    for (const [id, p] of this.opened) {
      const ctx = await p.catch(() => null);
      if (ctx) out.set(id, ctx);
    }
    return out;
  }

  private async open(ws: WorkspaceRef): Promise<AppContext> {
    const { config } = this.root;
    const duckdbPath = workspaceDuckdbPath(config.duckdbPath, ws.id);
    let mysqlUrl: string | undefined;
    if (config.mysqlUrl) {
      if (!this.root.mysql) throw new Error('MySQL mode without a MySQL store');
      mysqlUrl = await ensureWorkspaceDatabase(this.root.mysql.pool, config.mysqlUrl, ws.id);
    }
    // the root's reconciler covers every workspace's queued runs (accounts/workspace-stores.ts)
    return openStoreContext(
      config,
      { duckdbPath, mysqlUrl },
      {
        ...this.opts,
        reconciler: false,
        metrics: this.root.metrics,
        queue: this.root.queue?.forWorkspace(ws) ?? null,
      },
    );
  }

  /** Closes every workspace context (not the root: its opener closes it). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}
