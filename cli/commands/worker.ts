import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { WorkspaceStores } from '../../accounts/workspace-stores.ts';
import { MISNAMED_DEFAULTS } from '../../api/metrics.ts';
import { openQueueMode } from '../../ingest/queue/open.ts';
import { startReconciler } from '../../ingest/queue/reconcile.ts';
import { DEFAULT_SPEC_FILES } from '../../ingest/queue/spec.ts';
import { ChunkWorker } from '../../ingest/queue/worker.ts';
import { createWorkerMetrics } from '../../ingest/queue/worker-metrics.ts';
import { type Command, parseCommandArgs } from '../command.ts';

const usage = `usage: evalhouse worker [--models-file models.yaml] [--benchmarks DIR]

Takes run chunks (and scheduled runs) from the BullMQ queue on REDIS_URL and runs them against the
providers, writing results to MYSQL_URL (both required). Start as many as you like, on any machine that
has the same models.yaml and benchmarks: a chunk of a worker that dies is taken over by another once its
lock lapses (QUEUE_LOCK_MS), and results stay exactly one per (run, item, sample). Each worker also
re-enqueues what MySQL says is unfinished (at start, then every QUEUE_RECONCILE_MS), so a Redis that lost
its data is refilled. Serves /metrics and /health on WORKER_METRICS_PORT (0: any free port; the bound
address is printed). SIGTERM or Ctrl-C: chunks in flight finish their requests and are handed back.`;

export const command: Command = {
  name: 'worker',
  summary: 'take queued run chunks from Redis (REDIS_URL, MYSQL_URL)',
  usage,
  async run(argv, config) {
    const { values: v } = parseCommandArgs(
      argv,
      { 'models-file': { type: 'string', default: 'models.yaml' }, benchmarks: { type: 'string' } },
      false,
    );
    const { store, queue, close } = await openQueueMode(config, 'evalhouse worker');
    // one JSON object a line (as the API's pino logs), with the run, chunk and request ids where known
    const log = (level: string, msg: string, fields: Record<string, unknown> = {}) =>
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, ...fields, msg })}\n`,
      );
    const logger = {
      info: (m: string, f?: Record<string, unknown>) => log('info', m, f),
      warn: (m: string, f?: Record<string, unknown>) => log('warn', m, f),
      error: (m: string, f?: Record<string, unknown>) => log('error', m, f),
    };
    const metrics = createWorkerMetrics(queue);
    // the same runtime metrics as the API's /metrics, without prom-client's misnamed gauges (api/metrics.ts)
    for (const name of MISNAMED_DEFAULTS) metrics.registry.removeSingleMetric(name);
    const files = {
      models: v['models-file'],
      benchmarks: v.benchmarks ? resolve(v.benchmarks) : DEFAULT_SPEC_FILES.benchmarks,
    };
    // a job of another workspace than `default` runs into that workspace's database
    const stores = new WorkspaceStores(store, { ...config, mysqlUrl: config.mysqlUrl! });
    const worker = new ChunkWorker({ stores, queue, files, env: config.env, logger, metrics }, config.queue);
    const reconciler = startReconciler(stores, queue, config.queue.reconcileMs, (m) => logger.info(m));

    const http = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(String(err));
          },
        );
        return;
      }
      if (path === '/health') {
        void queue.ready().then((redis) => {
          res.writeHead(redis ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: redis ? 'ok' : 'redis unreachable', redis, pid: process.pid }));
        });
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not_found', message: 'this worker serves /metrics and /health' }));
    });
    await new Promise<void>((r) => http.listen(config.queue.metricsPort, config.host, r));
    const { port } = http.address() as AddressInfo;
    logger.info(`worker ready: metrics on http://${config.host}:${port}/metrics`);
    // tests and scripts read this line for the bound port (WORKER_METRICS_PORT=0)
    console.log(`evalhouse worker ${process.pid}: metrics http://${config.host}:${port}/metrics`);

    return new Promise<number>((resolveExit) => {
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info(`${signal}: handing back chunks in flight and stopping`);
        await worker.close();
        await reconciler.stop();
        await new Promise<void>((r) => http.close(() => r()));
        await stores.close();
        await close();
        resolveExit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
  },
};
