import { accountDb } from '../accounts/account-db.ts';
import { KyselyAccountStore } from '../accounts/account-store.ts';
import type { AccountStore } from '../accounts/types.ts';
import { WorkspaceStores } from '../accounts/workspace-stores.ts';
import type { Config } from '../core/config.ts';
import type { RecordStore } from '../core/store.ts';
import { assertQueueMode } from '../ingest/queue/open.ts';
import { openRunQueue, queueReady, type RunQueue } from '../ingest/queue/queue.ts';
import { startReconciler } from '../ingest/queue/reconcile.ts';
import { DuckDbStore, duckDbResources } from '../store/duckdb/duckdb-store.ts';
import { DuckDbEngine, MysqlEngine } from '../store/engines.ts';
import { Mirror } from '../store/mirror/mirror.ts';
import { MysqlStore } from '../store/mysql/mysql-store.ts';
import { AnalysisService } from './analysis/service.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { type ReadinessCheck, storeReadiness } from './readiness.ts';

/** Everything a server process owns: stores, engines, the mirror loop, metrics. */
export interface AppContext {
  config: Config;
  /** Where writes go: MySQL, or the DuckDB file in embedded mode. */
  record: RecordStore;
  /** The analytics store (the mirror in MySQL mode). */
  duck: DuckDbStore;
  mysql: MysqlStore | null;
  mirror: Mirror | null;
  duckEngine: DuckDbEngine;
  analysis: AnalysisService;
  metrics: Metrics;
  /** What GET /ready checks: the store's own checks and the queue's (REDIS_URL). */
  readiness: ReadinessCheck[];
  /**
   * Queue mode (REDIS_URL, with MYSQL_URL): POST /runs enqueues for `evalhouse worker` processes, and
   * /schedules works. null otherwise. `queueReady(ctx.queue)` (ingest/queue/queue.ts) is its /ready check.
   */
  queue: RunQueue | null;
  /**
   * Workspaces, users, keys, sessions and their audit log, in the control database (the root's
   * `record`): set on the root context only (openContext); absent on a workspace's context.
   */
  accounts?: AccountStore | null;
  /** Syncs the mirror now (no-op in embedded mode); the background loop calls it too. */
  syncMirror(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  mirrorLoop?: boolean;
  reconciler?: boolean;
}

/** The server's root context: the configured stores (the `default` workspace and the control database). */
export async function openContext(config: Config, opts: OpenOptions = {}): Promise<AppContext> {
  if (config.queue.redisUrl) assertQueueMode(config, 'REDIS_URL (queue mode)');
  const ctx = await openStoreContext(
    config,
    { duckdbPath: config.duckdbPath, mysqlUrl: config.mysqlUrl },
    { ...opts, metrics: createMetrics(), queue: config.queue.redisUrl ? openRunQueue(config.queue) : null },
  );
  // the root's database is the control database: the accounts live there, and only there
  ctx.accounts = new KyselyAccountStore(accountDb(ctx.mysql ?? ctx.duck), { auth: config.auth });
  return ctx;
}

/**
 * A context over one (DuckDB path, MySQL URL) pair, migrated: the root's, or a workspace's
 * (api/tenancy.ts), which shares the root's metrics and gets no queue of its own. `close()` leaves the
 * shared metrics alone and closes the queue it was given.
 */
export async function openStoreContext(
  config: Config,
  at: { duckdbPath: string; mysqlUrl: string | undefined },
  opts: OpenOptions & { metrics: Metrics; queue: RunQueue | null },
): Promise<AppContext> {
  const metrics = opts.metrics;
  const duck = await DuckDbStore.open(at.duckdbPath, duckDbResources(config));
  if (config.duckdbThreads) await duck.setThreads(config.duckdbThreads);
  const mysql = at.mysqlUrl
    ? await MysqlStore.open(at.mysqlUrl, config.mysqlPoolSize, duckDbResources(config)).catch(
        async (err: unknown) => {
          await duck.close();
          throw err;
        },
      )
    : null;
  const mirror = mysql
    ? new Mirror(mysql.pool, duck, { reconcileIntervalMs: config.mirrorReconcileMs })
    : null;
  const duckEngine = await DuckDbEngine.create(duck, config.duckdbReaders);
  const mysqlEngine = mysql ? await MysqlEngine.create(mysql.pool) : null;
  const analysis = new AnalysisService(
    duck,
    { duckdb: duckEngine, mysql: mysqlEngine },
    {
      timeoutMs: config.queryTimeoutMs,
      rowCap: config.rowCap,
      timer: { observe: (engine, s) => metrics.queryDuration.observe({ engine }, s) },
    },
  );
  let syncing: Promise<void> | null = null;
  const syncMirror = async () => {
    if (!mirror) return;
    // one sync at a time; a caller arriving meanwhile waits for the running one and then runs its own
    while (syncing) await syncing.catch(() => undefined);
    syncing = mirror.syncOnce().then(() => undefined);
    try {
      await syncing;
    } finally {
      syncing = null;
    }
  };
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let loopLog: ((err: unknown) => void) | null = null;
  const loop = async () => {
    if (stopped) return;
    try {
      await syncMirror();
    } catch (err) {
      loopLog?.(err);
    }
    if (!stopped) timer = setTimeout(loop, config.mirrorIntervalMs);
  };
  const queue = opts.queue;
  // the API re-enqueues what MySQL says is unfinished too (at start, then periodically), in every
  // workspace's database: with no worker running yet, a Redis that lost its data is refilled as soon as
  // one replica starts
  const reconcileStores =
    queue && mysql && at.mysqlUrl && opts.reconciler !== false
      ? new WorkspaceStores(mysql, { ...config, mysqlUrl: at.mysqlUrl })
      : null;
  const reconciler =
    queue && reconcileStores
      ? startReconciler(reconcileStores, queue, config.queue.reconcileMs, (m) => console.error(m))
      : null;
  if (mirror && opts.mirrorLoop !== false) {
    loopLog = (err) => console.error(`mirror sync failed: ${(err as Error).message}`);
    await syncMirror();
    timer = setTimeout(loop, config.mirrorIntervalMs);
  }
  return {
    config,
    record: mysql ?? duck,
    duck,
    mysql,
    mirror,
    duckEngine,
    analysis,
    metrics,
    readiness: [
      ...storeReadiness({ config, duckEngine, mysql, mirror }),
      ...(queue
        ? [
            {
              name: 'queue',
              check: async () => {
                if (!(await queueReady(queue))) throw new Error('Redis does not answer');
              },
            },
          ]
        : []),
    ],
    queue,
    syncMirror,
    async close() {
      stopped = true;
      await reconciler?.stop();
      await reconcileStores?.close();
      await queue?.close();
      if (timer) clearTimeout(timer);
      while (syncing) await syncing.catch(() => undefined);
      mirror?.dispose();
      await duckEngine.close();
      await duck.close();
      await mysql?.close();
    },
  };
}
