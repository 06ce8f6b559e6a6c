import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

/** /analysis, /compare, items analysis, /trends and the benchmark list answer from one data-version-keyed cache. */
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

  it('GET /benchmarks: the second answer is from the cache; a new data version lists what it brought', async () => {
    type List = { benchmarks: { benchmark: string; items: number; results: number }[] };
    const first = await app.inject({ method: 'GET', url: '/benchmarks' });
    expect(first.statusCode, first.body).toBe(200);
    const hits = fx.ctx.analysis.cache.hits;
    const second = await app.inject({ method: 'GET', url: '/benchmarks' });
    expect(fx.ctx.analysis.cache.hits).toBe(hits + 1);
    expect(second.json()).toEqual(first.json());
    const before = (first.json() as List).benchmarks.find((b) => b.benchmark === 'alpha')!;
    await fx.ctx.record.ingest([
      {
        benchmark: 'alpha',
        model: 'model_x',
        run: 'list-extra',
        item_id: 'list-item',
        sample: 0,
        outcome: 'correct',
        correct: true,
        score: null,
        metadata: {},
      },
      {
        benchmark: 'list-new',
        model: 'model_x',
        run: 'r',
        item_id: 'q',
        sample: 0,
        outcome: 'incorrect',
        correct: false,
        score: null,
        metadata: {},
      },
    ] as never);
    await fx.ctx.syncMirror();
    const misses = fx.ctx.analysis.cache.misses;
    const third = (await app.inject({ method: 'GET', url: '/benchmarks' })).json() as List;
    expect(fx.ctx.analysis.cache.misses).toBe(misses + 1);
    const after = third.benchmarks.find((b) => b.benchmark === 'alpha')!;
    expect([after.items, after.results]).toEqual([before.items + 1, before.results + 1]);
    expect(third.benchmarks.find((b) => b.benchmark === 'list-new')).toMatchObject({ items: 1, results: 1 });
  });
});
