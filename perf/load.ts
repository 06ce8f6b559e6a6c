/**
 * The load generator of perf/analysis.ts (iv), run in its own process so that it does not share
 * the server's event loop: autocannon (programmatic API) against POST /analysis.
 * Started by analysis.ts with fork(); takes its job as JSON in argv[2] and sends the result back over IPC.
 * With a rate, requests arrive either together each second (autocannon) or as a Poisson process (own open
 * loop over keep-alive sockets); see LoadJob.arrivals.
 *   mode "mix":    a share `uniqueShare` of requests are new (uncached) bodies, the rest repeat a pool of bodies
 *   mode "cached": only repeats of a small pool of bodies already answered once (cache hits)
 */
import http from 'node:http';
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
  /**
   * With a rate, how requests arrive. `together`: autocannon's rate limiter, which releases every connection's
   * quota of a second at the same instant, so each second's requests arrive at once (a worst case).
   * `poisson`: an open loop over `connections` keep-alive sockets (node:http), requests sent at exponentially
   * spaced times as independent users would; a latency counts from the time the request was due, so a
   * request that waited for a free socket or for the generator itself is charged for it.
   */
  arrivals: 'together' | 'poisson';
  /** Bodies repeated (mix: the repeated share; cached: everything). */
  pool: unknown[];
  /** Builds the i-th unique body: base request plus filters on subjects chosen from i. */
  base: Record<string, unknown>;
  subjects: string[];
}

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  mode: string;
  requests: number;
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  ok2xx: number;
  /** Every 2xx answer's own latency (ms), nearest-rank percentiles; `new` and `repeat` split it by body. */
  latency: Percentiles;
  byKind: { new: Percentiles; repeat: Percentiles };
  uniqueSent: number;
}

/** The nearest-rank p-quantile (0 < p ≤ 1) of ascending values: the ⌈p·n⌉-th. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Nearest-rank percentiles of raw latencies (ms, one decimal). */
export function percentiles(xs: number[]): Percentiles {
  const s = Float64Array.from(xs).sort();
  const at = (p: number) => (s.length ? Math.round(nearestRank(s, p) * 10) / 10 : 0);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0;
  return {
    n: s.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: at(1),
    mean: Math.round(mean * 10) / 10,
  };
}

export function uniqueBody(job: Pick<LoadJob, 'base' | 'subjects'>, i: number): unknown {
  const rand = prng(1_000_000 + i);
  const subjects = job.subjects.filter(() => rand() < 0.6);
  return {
    ...job.base,
    filters: { subject: subjects.length ? subjects : [job.subjects[i % job.subjects.length]] },
  };
}

/** The answers' latencies, all together and by kind of body. */
function latencies(raw: { new: number[]; repeat: number[] }): Pick<LoadResult, 'latency' | 'byKind'> {
  return {
    latency: percentiles([...raw.new, ...raw.repeat]),
    byKind: { new: percentiles(raw.new), repeat: percentiles(raw.repeat) },
  };
}

/** Picks each request's body: a new (never sent) body with probability uniqueShare, else the next pooled one. */
function bodies(job: LoadJob) {
  const pool = job.pool.map((b) => JSON.stringify(b));
  const rand = prng(7);
  let n = 0;
  let unique = 0;
  return {
    next(): { kind: 'new' | 'repeat'; body: string } {
      n++;
      if (job.mode === 'mix' && rand() < job.uniqueShare)
        return { kind: 'new', body: JSON.stringify(uniqueBody(job, job.uniqueFrom + unique++)) };
      return { kind: 'repeat', body: pool[n % pool.length]! };
    },
    get uniqueSent() {
      return unique;
    },
  };
}

async function runAutocannon(job: LoadJob): Promise<LoadResult> {
  const pick = bodies(job);
  const raw = { new: [] as number[], repeat: [] as number[] };
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationS,
    timeout: 30,
    // with a rate, autocannon's histogram would add L − 1 synthetic samples per answer of L ms; every
    // answer's own latency is recorded below instead (and the histogram kept raw too)
    ...(job.rate > 0 ? { overallRate: job.rate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: '/analysis',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
          const { kind, body } = pick.next();
          // one request in flight per connection: the context says what its answer was for
          context.kind = kind;
          return { ...req, body };
        },
      },
    ],
  });
  instance.on('response', (client, status, _bytes, ms) => {
    if (status >= 200 && status < 300)
      raw[client.requestIterator.context.kind === 'new' ? 'new' : 'repeat'].push(ms);
  });
  const result = await instance;
  return {
    mode: job.mode,
    requests: result.requests.total,
    rps: result.requests.average,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    ok2xx: result['2xx'],
    ...latencies(raw),
    uniqueSent: pick.uniqueSent,
  };
}

/** Open loop: Poisson arrivals at job.rate over job.connections keep-alive sockets, for job.durationS seconds. */
async function runPoisson(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const send = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: '/analysis',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  const pick = bodies(job);
  // open every connection first (with repeated bodies, not measured), as autocannon does
  await Promise.all(Array.from({ length: job.connections }, () => send(JSON.stringify(job.pool[0]))));
  const raw = { new: [] as number[], repeat: [] as number[] };
  const out = { requests: 0, errors: 0, timeouts: 0, non2xx: 0, ok2xx: 0 };
  const gaps = prng(11);
  const t0 = performance.now();
  const end = t0 + job.durationS * 1000;
  const pending: Promise<void>[] = [];
  let due = t0;
  while (due < end) {
    const now = performance.now();
    if (due > now) {
      await new Promise((r) => setTimeout(r, due - now));
      continue;
    }
    const { kind, body } = pick.next();
    const sentAt = due;
    out.requests++;
    pending.push(
      send(body).then(
        (status) => {
          if (status >= 200 && status < 300) {
            out.ok2xx++;
            raw[kind].push(performance.now() - sentAt);
          } else out.non2xx++;
        },
        (err: Error) => {
          if (/timeout/.test(err.message)) out.timeouts++;
          else out.errors++;
        },
      ),
    );
    due += (-Math.log(1 - gaps()) / job.rate) * 1000;
  }
  await Promise.all(pending);
  agent.destroy();
  return {
    mode: job.mode,
    ...out,
    rps: out.requests / job.durationS,
    ...latencies(raw),
    uniqueSent: pick.uniqueSent,
  };
}

const run = (job: LoadJob) =>
  job.rate > 0 && job.arrivals === 'poisson' ? runPoisson(job) : runAutocannon(job);

if (process.send) {
  const job = JSON.parse(process.argv[2]!) as LoadJob;
  const out = await run(job);
  process.send(out, () => process.exit(0));
}
