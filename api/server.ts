import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { cleanStaleScratch } from '../core/scratch.ts';
import { buildApp } from './app.ts';
import { authModeLine } from './auth/mode.ts';
import { openContext } from './context.ts';
import { loadDemoData } from './demo.ts';
import { seedFromDemoStore } from './demo-store.ts';
import { warmRenderWorker } from './exports/render-pool.ts';
import { startServerModelHealth } from './model-health-schedule.ts';
import { startRetention } from './retention-schedule.ts';
import { localUrl, removeServerFile, writeServerFile } from './server-file.ts';
import { Workspaces } from './tenancy.ts';

const EXPORT_WORKER_WARM_DELAY_MS = 10_000;

/** Entry point: parse the environment, open the stores, load demo data on first start, listen. */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`evalhouse: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // upload and mirror scratch folders a crashed server left behind
  const removed = cleanStaleScratch();
  // a first start of the embedded store: the demo data prebuilt at install (api/demo-store.ts)
  if (config.demoData === 'auto' && !config.mysqlUrl && seedFromDemoStore(config.duckdbPath))
    console.log(`demo data: the prebuilt demo store copied to ${config.duckdbPath}`);
  const ctx = await openContext(config);
  if (config.demoData === 'auto') {
    const n = await loadDemoData(ctx.record, (m) => console.log(m));
    if (n > 0) await ctx.syncMirror();
  }
  const workspaces = new Workspaces(ctx);
  const app = await buildApp(ctx, { logger: true, workspaces });
  const mode = authModeLine(config);
  app.log[mode.level](mode.message);
  const retention = ctx.accounts
    ? startRetention(ctx.accounts, workspaces, config.retentionCheckMs, (m) => app.log.info(m))
    : null;
  const health = startServerModelHealth(ctx, workspaces, (m) => app.log.info(m));
  if (removed.length > 0)
    app.log.info(`removed ${removed.length} scratch folder(s) of stopped processes: ${removed.join(', ')}`);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: closing`);
    removeServerFile(config.duckdbPath);
    await retention?.stop();
    await health.stop();
    await app.close();
    await workspaces.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  // --- server address file (api/server-file.ts): how a CLI in any shell finds this server ---
  const url = localUrl(app.server.address() as AddressInfo); // the bound port, also for PORT=0
  writeServerFile(config.duckdbPath, {
    pid: process.pid,
    url,
    started_at: new Date().toISOString(),
    store: config.mysqlUrl ? 'mysql' : 'duckdb',
  });
  // also on a crash or process.exit; only kill -9 leaves it, and readers check the pid and /health
  process.on('exit', () => removeServerFile(config.duckdbPath));
  // --- end of the server address file ---
  // the export worker loads its libraries and fonts (2–3 s of CPU) before the first xlsx or pdf is asked for;
  // a little after the start, so that the start itself (and a short-lived server) does not pay for it
  setTimeout(() => void warmRenderWorker(), EXPORT_WORKER_WARM_DELAY_MS).unref();
  app.log.info(
    `evalhouse ${config.mysqlUrl ? 'on MySQL with a DuckDB mirror' : `on embedded DuckDB (${config.duckdbPath})`}: ${url}  (API docs at /docs)`,
  );
}

main().catch((err) => {
  // an ordinary failure (the DuckDB file held by another process) is one line; a bug shows its stack
  if (err instanceof AppError) console.error(`evalhouse: ${err.message}`);
  else console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
