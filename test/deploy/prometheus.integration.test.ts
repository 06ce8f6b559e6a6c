import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type FakeProvider, startFakeProvider } from '../fake-provider/server.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/**
 * The team install's monitoring as plain processes: a real Prometheus (Debian's `prometheus`) scrapes two
 * API replicas on one MySQL (each with its own DuckDB mirror) with the jobs of deploy/prometheus/prometheus.yml,
 * and every PromQL expression of the provisioned Grafana dashboard is evaluated against it.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(`${ROOT}${p}`, 'utf8');

/** Metrics only a runner worker exposes (the queue): with no worker target their panels can only parse. */
const WORKER_ONLY = /\bevalhouse_queue_jobs\b/;
/** Grafana's interval variables, as a 1 s scrape needs them (rate() wants two samples in its window). */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '1m',
  $__range: '5m',
};

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function dashboardExpressions(): { panel: string; expr: string }[] {
  const dash = JSON.parse(read('deploy/grafana/dashboards/evalhouse.json')) as { panels: Panel[] };
  const flat = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...flat(p.panels ?? [])]);
  return flat(dash.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => {
      let expr = t.expr;
      for (const [name, value] of Object.entries(GRAFANA_VARIABLES)) expr = expr.split(name).join(value);
      return { panel: p.title, expr };
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(250);
  }
}

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (!r.ok) throw new Error(`${r.status} ${r.url}: ${text}`);
  return JSON.parse(text) as T;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface Target {
  labels: { job: string; instance: string };
  health: string;
  lastError: string;
}

describe('Prometheus scrapes the API replicas (and a worker) and answers every dashboard expression', () => {
  const tmp = tmpDir();
  let fake: FakeProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const replicas: Awaited<ReturnType<typeof startServer>>[] = [];
  let worker: { child: ChildProcess; address: string } | null = null;
  let prometheus: ChildProcess;
  let prom = '';
  let promLog = '';

  beforeAll(async () => {
    fake = await startFakeProvider({ latencyMs: 5, answer: () => 'The answer is \\boxed{42}' });
    db = await createTestDatabase('prom');
    // with `evalhouse worker` (t20-queue) the topology is the team install's: the replicas enqueue runs on Redis
    // (a key prefix of this test's own) and a worker takes them; without it the replicas run them themselves
    const help = await evalhouse(['help'], {}).done;
    const hasWorker = /^ {2}worker\s/m.test(help.stdout);
    // the queue is merged: a worker target is required, not optional (no silent smaller topology)
    expect(hasWorker, 'evalhouse help lists no worker command').toBe(true);
    const queueEnv: Record<string, string> = hasWorker
      ? {
          REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
          QUEUE_PREFIX: `eh-prom-${randomBytes(4).toString('hex')}`,
        }
      : {};
    // one after the other: the first applies the migrations (as api-2 waits for api-1 in docker-compose.yml)
    for (const i of [1, 2]) {
      replicas.push(
        await startServer({
          DUCKDB_PATH: `${tmp.dir}/api-${i}.duckdb`,
          AUTH: 'off',
          MYSQL_URL: db.url,
          PORT: '0',
          MIRROR_INTERVAL_MS: '200',
          ...queueEnv,
        }),
      );
    }
    if (hasWorker) {
      // a worker serves /metrics and /health on WORKER_METRICS_PORT
      const port = await closedPort();
      const w = evalhouse(['worker'], {
        AUTH: 'off',
        MYSQL_URL: db.url,
        WORKER_METRICS_PORT: String(port),
        DUCKDB_PATH: `${tmp.dir}/worker.duckdb`,
        LOG_LEVEL: 'warn',
        ...queueEnv,
      });
      worker = { child: w.child, address: `127.0.0.1:${port}` };
      await until('the worker to answer /health', async () =>
        (await fetch(`http://${worker!.address}/health`)).ok ? true : undefined,
      );
    }
    // the deployed scrape configuration, its targets moved to loopback and its interval to 1 s
    const port = await closedPort();
    const deployed = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targetsOf: Record<string, string[]> = {
      'evalhouse-api': replicas.map((r) => new URL(r.url).host),
      'evalhouse-worker': worker ? [worker.address] : [],
      prometheus: [`127.0.0.1:${port}`],
    };
    const jobs = deployed.scrape_configs
      .map((job) => {
        const targets = targetsOf[job.job_name];
        if (!targets)
          throw new Error(
            `deploy/prometheus/prometheus.yml has a job this test does not know: ${job.job_name}`,
          );
        return { ...job, static_configs: [{ targets }] };
      })
      .filter((job) => job.static_configs[0]!.targets.length > 0);
    const config = `${tmp.dir}/prometheus.yml`;
    writeFileSync(
      config,
      stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: jobs }),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${tmp.dir}/tsdb`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.on('error', (err) => {
      promLog += `\nspawn failed: ${err.message} (Debian package prometheus; .ci/run installs it)`;
    });
    prometheus.stdout!.on('data', (d) => {
      promLog += d;
    });
    prometheus.stderr!.on('data', (d) => {
      promLog += d;
    });
    prom = `http://127.0.0.1:${port}`;
    await until(
      'Prometheus to be ready',
      async () => {
        if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
        return (await fetch(`${prom}/-/ready`)).ok ? true : undefined;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${promLog}`);
    });
  }, 180_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const gone = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await gone;
    }
    if (worker && worker.child.exitCode === null) {
      const gone = new Promise((r) => worker!.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await gone;
    }
    for (const r of replicas) await r.stop();
    await fake?.close();
    await db?.drop();
    tmp.cleanup();
  });

  it('finds every target up: each API replica (and worker) scraped on its own', async () => {
    const targets = await until('every target to be up', async () => {
      const t = await json<{ data: { activeTargets: Target[] } }>(fetch(`${prom}/api/v1/targets`));
      const active = t.data.activeTargets;
      return active.length > 0 && active.every((x) => x.health === 'up') ? active : undefined;
    });
    const instances = (job: string) =>
      targets
        .filter((t) => t.labels.job === job)
        .map((t) => t.labels.instance)
        .sort();
    expect(instances('evalhouse-api')).toEqual(replicas.map((r) => new URL(r.url).host).sort());
    expect(instances('evalhouse-worker')).toEqual(worker ? [worker.address] : []);
    expect(targets.every((t) => t.lastError === '')).toBe(true);
  });

  it('answers every PromQL expression of the Grafana dashboard with at least one series', async () => {
    // traffic on both replicas: plain reads, a 404, a run against the local fake provider, analyses
    for (const r of replicas) {
      for (const path of ['/health', '/ready', '/benchmarks', '/no-such-route'])
        expect((await fetch(`${r.url}${path}`)).status).toBeLessThan(500);
      const started = await json<{ id: number }>(
        post(`${r.url}/runs`, {
          benchmark: 'aime-2024',
          model: `openai-compatible:fake-${replicas.indexOf(r) + 1}`,
          base_url: fake.openaiBaseURL,
          limit: 5,
        }),
      );
      await until(`run #${started.id} to complete`, async () => {
        const run = await json<{ status: string }>(fetch(`${r.url}/runs/${started.id}`));
        return run.status === 'completed' ? true : undefined;
      });
    }
    for (const r of replicas) {
      // the other replica's run reaches this one's mirror; the repeated query is a cache hit
      await until('both runs in the mirror', async () => {
        const a = await json<{ rows: { model: string }[] }>(
          post(`${r.url}/analysis`, { benchmark: 'aime-2024', levels: ['exam'] }),
        );
        return new Set(a.rows.map((row) => row.model)).size === 2 ? true : undefined;
      });
      await json(post(`${r.url}/analysis`, { benchmark: 'aime-2024', levels: ['exam'] }));
    }

    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(12);
    for (const { expr } of expressions) expect(expr, 'a Grafana variable left unreplaced').not.toContain('$');
    const evaluate = async (expr: string) => {
      const r = await json<{ status: string; data: { result: { metric: Record<string, string> }[] } }>(
        fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`),
      );
      expect(r.status).toBe('success');
      return r.data.result;
    };
    const mustAnswer = expressions.filter((e) => worker || !WORKER_ONLY.test(e.expr));
    // scrapes come every second: wait until the traffic above has reached Prometheus for every expression
    const empty = await until(
      'a series for every expression',
      async () => {
        const missing: string[] = [];
        for (const e of mustAnswer)
          if ((await evaluate(e.expr)).length === 0) missing.push(`${e.panel}: ${e.expr}`);
        return missing.length === 0 ? missing : undefined;
      },
      30_000,
    ).catch(async () => {
      const missing: string[] = [];
      for (const e of mustAnswer)
        if ((await evaluate(e.expr)).length === 0) missing.push(`${e.panel}: ${e.expr}`);
      return missing;
    });
    expect(empty).toEqual([]);
    // without a worker the queue's expressions must at least be valid PromQL (Prometheus parses them)
    for (const e of expressions.filter((x) => !mustAnswer.includes(x))) await evaluate(e.expr);

    // the per-replica panels really tell the replicas apart, and the run panels name both runs
    const pools = await evaluate('sum by (instance, pool, state) (evalhouse_pool_connections)');
    expect(new Set(pools.map((s) => s.metric.instance)).size).toBe(2);
    expect(new Set(pools.map((s) => s.metric.pool))).toEqual(new Set(['duckdb', 'mysql']));
    // (a series exists once the first run's counter is scraped: wait for the second run's too)
    const runIds = async () =>
      new Set(
        (await evaluate('sum by (run_id, outcome) (evalhouse_run_items_total)')).map((s) => s.metric.run_id),
      ).size;
    await until('both runs counted', async () => ((await runIds()) >= 2 ? true : undefined), 15_000).catch(
      () => undefined,
    );
    expect(await runIds()).toBe(2);
    // every stored result counted once, whoever stored it (the last scrape may still be on its way)
    const sum = async () => {
      const total = (await evaluate('sum(evalhouse_run_items_total)')) as unknown as {
        value: [number, string];
      }[];
      return total.length === 1 ? Number(total[0]!.value[1]) : Number.NaN;
    };
    await until('all 10 results counted', async () => ((await sum()) >= 10 ? true : undefined), 15_000).catch(
      () => undefined,
    );
    expect(await sum()).toBe(10);
  }, 240_000);
});
