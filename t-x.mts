import { loadConfig } from './core/config.ts';
import { openContext } from './api/context.ts';
import { buildApp } from './api/app.ts';
const ctx = await openContext(loadConfig({ ...process.env, DUCKDB_PATH: '/tmp/ex1/e.duckdb', DEMO_DATA: 'off' }), { mirrorLoop: false });
const app = await buildApp(ctx);
for (const [kind, query] of [['analysis', { benchmark: 'mmlu-redux', levels: ['subject'] }], ['compare', { benchmark: 'mmlu-redux', levels: ['subject'], models: ['anthropic_claude-3-5-sonnet-20240620', 'openai_gpt-4o-2024-05-13'] }]] as const) {
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await app.inject({ method: 'POST', url: '/exports', payload: { kind, format: 'xlsx', query } });
    console.log(kind, r.statusCode, (performance.now() - t).toFixed(0), 'ms', r.rawPayload.length, 'bytes', r.statusCode !== 200 ? r.body.slice(0, 300) : '');
    if (i === 0) (await import('node:fs')).writeFileSync(`/tmp/ex1/${kind}.xlsx`, r.rawPayload);
  }
}
process.exit(0);
