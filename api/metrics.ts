import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CanonicalRecord } from '../core/types.ts';

/**
 * prom-client's gauges named like counters: promtool flags them ("non-counter metrics should not have
 * _total suffix"), prom-client's maintainers mean to drop them (prometheus/client_js#283), and each is
 * `sum without (type) (nodejs_active_handles)` (…_requests, …_resources) of a gauge we keep.
 */
export const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The server's Prometheus metrics: ours carry units and the evalhouse_ prefix; the process and Node.js
 * runtime metrics keep their standard names (process_*, nodejs_*) so stock dashboards find them.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  const httpDuration = new Histogram({
    name: 'evalhouse_http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const queryDuration = new Histogram({
    name: 'evalhouse_query_duration_seconds',
    help: 'Analysis query duration by engine',
    labelNames: ['engine'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const poolConnections = new Gauge({
    name: 'evalhouse_pool_connections',
    help: 'Connections in each pool by state (in_use, free) and waiting requests (queued)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
  });
  const mirrorLagRows = new Gauge({
    name: 'evalhouse_mirror_lag_rows',
    help: 'MySQL results not yet in the DuckDB mirror',
    registers: [registry],
  });
  const mirrorLagSeconds = new Gauge({
    name: 'evalhouse_mirror_lag_seconds',
    help: 'Seconds since the mirror last completed a sync',
    registers: [registry],
  });
  const importedRows = new Counter({
    name: 'evalhouse_import_rows_total',
    help: 'Result records imported, by outcome of the write (inserted, duplicate, skipped)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const imports = new Counter({
    name: 'evalhouse_imports_total',
    help: 'Import requests by status (committed, rejected)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const cacheRequests = new Counter({
    name: 'evalhouse_analysis_cache_requests_total',
    help: 'Analysis answers served from the cache (hit) or computed (miss)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // A run's results as they are stored, by whichever process runs it (an in-server run here, a worker's chunk
  // there): the dashboard sums them by run_id over all targets. Names shared with the queue workers.
  const runItems = new Counter({
    name: 'evalhouse_run_items_total',
    help: 'Results stored by a run, by outcome (correct, incorrect, unscored, error)',
    labelNames: ['run_id', 'outcome'] as const,
    registers: [registry],
  });
  const runErrors = new Counter({
    name: 'evalhouse_run_errors_total',
    help: 'Results of a run whose provider call failed (stored as errors, asked again on resume)',
    labelNames: ['run_id'] as const,
    registers: [registry],
  });
  const runTokens = new Counter({
    name: 'evalhouse_run_tokens_total',
    help: 'Tokens the provider reported for a run, by direction (in, out)',
    labelNames: ['run_id', 'direction'] as const,
    registers: [registry],
  });
  const runCost = new Counter({
    name: 'evalhouse_run_cost_usd_total',
    help: 'Cost of a run in US dollars, from the model prices',
    labelNames: ['run_id'] as const,
    registers: [registry],
  });
  return {
    registry,
    runItems,
    runErrors,
    runTokens,
    runCost,
    httpDuration,
    queryDuration,
    poolConnections,
    mirrorLagRows,
    mirrorLagSeconds,
    importedRows,
    imports,
    cacheRequests,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Counts one stored result of run `runId` in the run metrics. Every series of the run starts at 0 with its
 * first result, so "errors per run" and the cost show a run without errors or prices too (a counter never
 * touched is absent, and a dashboard's rate() would find nothing).
 */
export function countRunResult(
  m: Pick<Metrics, 'runItems' | 'runErrors' | 'runTokens' | 'runCost'>,
  runId: number,
  r: Pick<CanonicalRecord, 'outcome' | 'tokens_in' | 'tokens_out' | 'cost_usd'>,
) {
  const run_id = String(runId);
  m.runItems.inc({ run_id, outcome: r.outcome });
  m.runErrors.inc({ run_id }, r.outcome === 'error' ? 1 : 0);
  m.runTokens.inc({ run_id, direction: 'in' }, Math.max(0, r.tokens_in ?? 0));
  m.runTokens.inc({ run_id, direction: 'out' }, Math.max(0, r.tokens_out ?? 0));
  m.runCost.inc({ run_id }, Math.max(0, r.cost_usd ?? 0));
}
