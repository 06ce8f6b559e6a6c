import { type Config, ConfigError } from '../../core/config.ts';
import { duckDbResources } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { openRunQueue, type RunQueue } from './queue.ts';

/** Queue mode asked for where the environment cannot give it: said before anything is opened (exit 2). */
export class QueueModeError extends ConfigError {}

/**
 * Queue mode needs MySQL: the run rows, results and queued runs are shared by every worker and API replica,
 * and the embedded DuckDB file can be opened by one process only.
 */
export function assertQueueMode(config: Config, what: string): void {
  if (!config.queue.redisUrl) {
    throw new QueueModeError(
      `${what} needs queue mode: set REDIS_URL (e.g. redis://127.0.0.1:6379) and MYSQL_URL`,
    );
  }
  if (!config.mysqlUrl) {
    throw new QueueModeError(
      `${what} needs MYSQL_URL with REDIS_URL: workers and API replicas share runs and results through MySQL ` +
        '(the embedded DuckDB file can be opened by one process only)',
    );
  }
}

/** MySQL and the queue, for a CLI command or a worker (the API opens them in api/context.ts). */
export async function openQueueMode(
  config: Config,
  what: string,
): Promise<{ store: MysqlStore; queue: RunQueue; close: () => Promise<void> }> {
  assertQueueMode(config, what);
  const store = await MysqlStore.open(config.mysqlUrl!, config.mysqlPoolSize, duckDbResources(config));
  const queue = openRunQueue(config.queue);
  return {
    store,
    queue,
    async close() {
      await queue.close();
      await store.close();
    },
  };
}
