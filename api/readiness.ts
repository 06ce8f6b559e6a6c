import type { Config } from '../core/config.ts';
import type { DuckDbEngine } from '../store/engines.ts';
import type { Mirror } from '../store/mirror/mirror.ts';
import type { MysqlStore } from '../store/mysql/mysql-store.ts';

/**
 * One check of GET /ready: resolves when its dependency can serve, throws (the message says why) when not.
 * The context holds a list of them; a part that brings a dependency (the job queue when REDIS_URL is set)
 * pushes its own check onto `ctx.readiness`.
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Lag beyond this many sync intervals (and at least 30 s) means the mirror serves stale answers. */
const LAG_INTERVALS = 10;

export function mirrorLagLimitSeconds(config: Pick<Config, 'mirrorIntervalMs'>): number {
  return Math.max(30, (LAG_INTERVALS * config.mirrorIntervalMs) / 1000);
}

/** Runs every check at once, each bounded by `timeoutMs` (a hung dependency fails, it does not hang /ready). */
export async function runReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return { name, ok: true, ms: Math.round(performance.now() - t0) };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        return { name, ok: false, ms: Math.round(performance.now() - t0), error };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** The store's checks: DuckDB answers; in MySQL mode MySQL answers and the mirror is current. */
export function storeReadiness(parts: {
  config: Pick<Config, 'mirrorIntervalMs'>;
  duckEngine: DuckDbEngine;
  mysql: MysqlStore | null;
  mirror: Mirror | null;
}): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'duckdb', check: async () => void (await parts.duckEngine.query('SELECT 1', [], 2000)) },
  ];
  const { mysql, mirror } = parts;
  if (mysql) checks.push({ name: 'mysql', check: async () => void (await mysql.pool.query('SELECT 1')) });
  if (mirror) {
    checks.push({
      name: 'mirror',
      check: async () => {
        const lag = await mirror.currentLag();
        const limit = mirrorLagLimitSeconds(parts.config);
        if (!Number.isFinite(lag.seconds)) throw new Error('no sync has completed yet');
        if (lag.seconds > limit)
          throw new Error(`last sync ${lag.seconds} s ago (more than ${limit} s), ${lag.rows} row(s) behind`);
      },
    });
  }
  return checks;
}
