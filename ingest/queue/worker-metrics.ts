import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CanonicalRecord } from '../../core/types.ts';
import type { RunQueue } from './queue.ts';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * A worker's Prometheus metrics (the Grafana dashboard of the team install reads these names): the
 * queue's depth by state, read from Redis at each scrape, and per run the results this worker stored.
 */
export function createWorkerMetrics(queue: RunQueue) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'evalhouse_queue_jobs',
    help: 'Jobs in the run queue by state (waiting, active, delayed, failed)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const counts = await queue.queue.getJobCounts(...JOB_STATES, 'prioritized');
        for (const s of JOB_STATES) {
          const n = (counts[s] ?? 0) + (s === 'waiting' ? (counts.prioritized ?? 0) : 0);
          this.set({ state: s }, n);
        }
      } catch {
        // Redis out of reach: the last values stay, /health says why
      }
    },
  });
  const items = new Counter({
    name: 'evalhouse_run_items_total',
    help: 'Results this worker stored, by run and outcome (correct, incorrect, unscored, error)',
    labelNames: ['run_id', 'outcome'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'evalhouse_run_errors_total',
    help: 'Results this worker stored as errors (the provider failed after every attempt), by run',
    labelNames: ['run_id'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'evalhouse_run_tokens_total',
    help: 'Tokens of the results this worker stored, by run and direction (in, out)',
    labelNames: ['run_id', 'direction'] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: 'evalhouse_run_cost_usd_total',
    help: 'Cost in US dollars of the results this worker stored, by run',
    labelNames: ['run_id'] as const,
    registers: [registry],
  });
  return {
    registry,
    /** counts one stored result */
    stored(runId: number, r: CanonicalRecord) {
      const run_id = String(runId);
      items.inc({ run_id, outcome: r.outcome });
      // every series exists from the run's first result on (a dashboard's rate() finds a zero, not nothing)
      errors.inc({ run_id }, r.outcome === 'error' ? 1 : 0);
      tokens.inc({ run_id, direction: 'in' }, r.tokens_in ?? 0);
      tokens.inc({ run_id, direction: 'out' }, r.tokens_out ?? 0);
      cost.inc({ run_id }, r.cost_usd ?? 0);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
