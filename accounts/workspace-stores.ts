import { ensureWorkspaceDatabase, workspaceDatabase } from '../api/tenancy.ts';
import type { Config } from '../core/config.ts';
import { type JobWorkspace, jobWorkspace, type QueueStores } from '../ingest/queue/queue.ts';
import { duckDbResources } from '../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { DEFAULT_WORKSPACE } from './roles.ts';

type StoreConfig = Pick<Config, 'mysqlPoolSize' | 'duckdbMemoryLimit' | 'duckdbTempDir'> & {
  mysqlUrl: string;
};

/**
 * The MySQL store of each workspace, for what serves the queue apart from the API's routes (workers, the
 * reconciler): `default`'s is the configured one (the control database), another's is its own database,
 * named and created as api/tenancy.ts does for the API, opened (migrated) on first use and kept.
 */
export class WorkspaceStores implements QueueStores {
  private readonly opened = new Map<number, Promise<MysqlStore>>();

  constructor(
    readonly root: MysqlStore,
    private readonly config: StoreConfig,
  ) {}

  of(ws: JobWorkspace | null | undefined): Promise<MysqlStore> {
    const w = jobWorkspace(ws);
    if (w === null) return Promise.resolve(this.root);
    let p = this.opened.get(w.id);
    if (!p) {
      p = ensureWorkspaceDatabase(this.root.pool, this.config.mysqlUrl, w.id).then((url) =>
        MysqlStore.open(url, this.config.mysqlPoolSize, duckDbResources(this.config)),
      );
      this.opened.set(w.id, p);
      // a failed open is tried again by the next job
      p.catch(() => {
        if (this.opened.get(w.id) === p) this.opened.delete(w.id);
      });
    }
    return p;
  }

  /**
   * `default` and every workspace of the control database whose database exists: one never used has no
   * queued run, and is not created by looking.
   */
  async all(): Promise<{ workspace: JobWorkspace | null; store: MysqlStore }[]> {
    const out: { workspace: JobWorkspace | null; store: MysqlStore }[] = [
      { workspace: null, store: this.root },
    ];
    const rows = await this.root.kysely
      .selectFrom('workspaces')
      .select(['id', 'slug'])
      .where('slug', '!=', DEFAULT_WORKSPACE)
      .orderBy('id')
      .execute();
    if (rows.length === 0) return out;
    const [schemas] = (await this.root.pool.query(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA',
    )) as unknown as [{ name: string }[]];
    const exists = new Set(schemas.map((s) => s.name));
    for (const r of rows) {
      const workspace = { id: Number(r.id), slug: r.slug };
      if (!exists.has(workspaceDatabase(this.config.mysqlUrl, workspace.id).name)) continue;
      out.push({ workspace, store: await this.of(workspace) });
    }
    return out;
  }

  /** Closes the workspaces' stores (not the root: its opener closes it). */
  async close(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}
