import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

/** /analysis, /compare, items analysis and /trends answer from one data-version-keyed cache. */
describe('the read pipeline cache', () => {
  let fx: ApiFixture;
  let app: FastifyInstance;
  beforeAll(async () => {
    fx = await openApiFixture({ mysql: false });
    app = await buildApp(fx.ctx);
  });
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  });

  const strip = (body: { meta: Record<string, unknown> }) => ({
    ...body,
    meta: { ...body.meta, elapsed_ms: 0, cached: undefined },
  });
  const requests = [
    { method: 'POST', url: '/analysis', payload: { benchmark: 'alpha', levels: [] } },
    { method: 'POST', url: '/compare', payload: { benchmark: 'alpha', models: ['model_x', 'model_y'] } },
    { method: 'GET', url: '/benchmarks/alpha/items/analysis' },
    { method: 'GET', url: '/trends?benchmark=alpha' },
  ] as const;

  for (const r of requests) {
    it(`${r.method} ${r.url}: the second answer is the cache's, the same; a new data version recomputes`, async () => {
      const first = await app.inject(r as never);
      expect(first.statusCode, first.body).toBe(200);
      const hits = fx.ctx.analysis.cache.hits;
      const second = await app.inject(r as never);
      expect(fx.ctx.analysis.cache.hits).toBe(hits + 1);
      expect(strip(second.json())).toEqual(strip(first.json()));
      await fx.ctx.record.ingest([
        {
          benchmark: 'alpha',
          model: 'model_x',
          run: `extra-${r.url.length}`,
          item_id: 'new-item',
          sample: 0,
          outcome: 'correct',
          correct: true,
          score: null,
          metadata: {},
        },
      ] as never);
      await fx.ctx.syncMirror();
      const misses = fx.ctx.analysis.cache.misses;
      const third = await app.inject(r as never);
      expect(third.statusCode).toBe(200);
      expect(fx.ctx.analysis.cache.misses).toBe(misses + 1);
    });
  }
});
