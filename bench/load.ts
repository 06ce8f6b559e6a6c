/**
 * The load generator of bench/analysis.ts (iv), run in its own process so that it does not share
 * the server's event loop: autocannon (programmatic API) against POST /analysis.
 * Started by analysis.ts with fork(); takes its job as JSON in argv[2] and sends the result back over IPC.
 *   mode "mix":    a share `uniqueShare` of requests are new (uncached) bodies, the rest repeat a pool of bodies
 *   mode "cached": only repeats of a small pool of bodies already answered once (cache hits)
 */
import autocannon from 'autocannon';
import { prng } from './generate.ts';

export interface LoadJob {
  url: string;
  mode: 'mix' | 'cached';
  connections: number;
  durationS: number;
  uniqueShare: number;
  /** Index of this phase's first new body: each phase must start past every body sent before (or its "new" ones would be cache hits). */
  uniqueFrom: number;
  /** Requests per second over all connections (autocannon overallRate); 0 = as fast as answers come back. */
  rate: number;
  /** Bodies repeated (mix: the repeated share; cached: everything). */
  pool: unknown[];
  /** Builds the i-th unique body: base request plus filters on subjects chosen from i. */
  base: Record<string, unknown>;
  subjects: string[];
}

export interface LoadResult {
  mode: string;
  requests: number;
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  ok2xx: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  uniqueSent: number;
}

export function uniqueBody(job: Pick<LoadJob, 'base' | 'subjects'>, i: number): unknown {
  const rand = prng(1_000_000 + i);
  const subjects = job.subjects.filter(() => rand() < 0.6);
  return {
    ...job.base,
    filters: { subject: subjects.length ? subjects : [job.subjects[i % job.subjects.length]] },
  };
}

async function run(job: LoadJob): Promise<LoadResult> {
  const poolBodies = job.pool.map((b) => JSON.stringify(b));
  let n = 0;
  let unique = 0;
  const rand = prng(7);
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationS,
    timeout: 30,
    ...(job.rate > 0 ? { overallRate: job.rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/analysis',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => {
          n++;
          const body =
            job.mode === 'mix' && rand() < job.uniqueShare
              ? JSON.stringify(uniqueBody(job, job.uniqueFrom + unique++))
              : poolBodies[n % poolBodies.length];
          return { ...req, body };
        },
      },
    ],
  });
  return {
    mode: job.mode,
    requests: result.requests.total,
    rps: result.requests.average,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    ok2xx: result['2xx'],
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    uniqueSent: unique,
  };
}

if (process.send) {
  const job = JSON.parse(process.argv[2]!) as LoadJob;
  const out = await run(job);
  process.send(out, () => process.exit(0));
}
