import { ConfigError, loadConfig } from '../core/config.ts';
import { cleanStaleScratch } from '../ingest/scratch.ts';
import { buildApp } from './app.ts';
import { openContext } from './context.ts';
import { loadDemoData } from './demo.ts';
import { extraPlugins } from './plugins.ts';

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
  const ctx = await openContext(config);
  if (config.demoData === 'auto') {
    const n = await loadDemoData(ctx.record, (m) => console.log(m));
    if (n > 0) await ctx.syncMirror();
  }
  const app = await buildApp(ctx, { logger: true, plugins: await extraPlugins() });
  if (removed.length > 0)
    app.log.info(`removed ${removed.length} scratch folder(s) of stopped processes: ${removed.join(', ')}`);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: closing`);
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  app.log.info(
    `evalhouse ${config.mysqlUrl ? 'on MySQL with a DuckDB mirror' : `on embedded DuckDB (${config.duckdbPath})`}: http://${config.host}:${config.port}  (API docs at /docs)`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
