import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCanonical } from '../../ingest/importers/canonical.ts';
import { MAX_LATENCY_MS, microsecondsOrNull } from '../../store/result-values.ts';
import { type ApiFixture, openApiFixture } from './fixture.ts';

const rec = (item: number, latency_ms: number) => ({
  benchmark: 'lat',
  model: 'model_x',
  run: 'r1',
  item_id: `i${item}`,
  sample: 0,
  outcome: 'correct' as const,
  correct: true,
  score: null,
  metadata: { part: item % 2 ? 'odd' : 'even' },
  latency_ms,
});

describe('latencies', () => {
  it('are stored to the microsecond; past ±1e12 ms, like NaN and Infinity, as NULL', () => {
    expect(microsecondsOrNull(812.3456789)).toBe(812.346);
    expect(microsecondsOrNull(0.0004)).toBe(0);
    expect(microsecondsOrNull(MAX_LATENCY_MS)).toBe(MAX_LATENCY_MS);
    expect(microsecondsOrNull(1e17)).toBeNull();
    expect(microsecondsOrNull(Number.NaN)).toBeNull();
    expect(microsecondsOrNull(undefined)).toBeNull();
  });

  it('a canonical record with an impossible latency is refused with the limit in the message', () => {
    const checked = toCanonical(rec(1, 1e300));
    expect(checked).toMatchObject({ field: 'latency_ms', message: expect.stringContaining('at most') });
    expect('record' in toCanonical(rec(1, 1e12))).toBe(true);
  });

  describe('through both engines', () => {
    let fx: ApiFixture;
    // records that bypass the canonical check (other importers, the runner) reach the stores as they are
    const records = [rec(1, 1e300), rec(2, 1e17), rec(3, 12.0004), rec(4, 30.5), rec(5, 7.25), rec(6, 1e12)];
    beforeAll(async () => {
      fx = await openApiFixture({ records });
    });
    afterAll(async () => fx?.close());

    for (const engine of ['duckdb', 'mysql'] as const) {
      it(`${engine}: no error, and the quantiles are of the plausible latencies only`, async () => {
        const res = await fx.app.inject({
          method: 'POST',
          url: '/analysis',
          payload: { benchmark: 'lat', levels: ['part'], engine },
        });
        expect(res.statusCode).toBe(200);
        const rows = res.json().rows as {
          groups: { part: string };
          latency_ms_p50: number;
          latency_ms_p95: number;
        }[];
        const odd = rows.find((r) => r.groups.part === 'odd')!; // items 1, 3, 5: 1e300 is NULL; 12, 7.25
        const even = rows.find((r) => r.groups.part === 'even')!; // items 2, 4, 6: 1e17 is NULL; 30.5, 1e12
        expect([odd.latency_ms_p50, odd.latency_ms_p95]).toEqual([7.25, 12]);
        expect([even.latency_ms_p50, even.latency_ms_p95]).toEqual([30.5, 1e12]);
      });
    }
  });

  it('a latency stored before the bound (too large for microseconds in a BIGINT) is left out, not a 5xx', async () => {
    const fx = await openApiFixture({ mysql: false, records: [rec(1, 5), rec(3, 9), rec(5, 11)] });
    try {
      // written straight into the table, as an older version could have stored it
      await fx.ctx.duck.db.run('UPDATE results SET latency_ms = 1e300 WHERE latency_ms = 11');
      const res = await fx.app.inject({
        method: 'POST',
        url: '/analysis',
        payload: { benchmark: 'lat', levels: ['part'] },
      });
      expect(res.statusCode).toBe(200);
      const [row] = res.json().rows as { latency_ms_p50: number; latency_ms_p95: number; n: number }[];
      expect(row).toMatchObject({ n: 3, latency_ms_p50: 5, latency_ms_p95: 9 });
    } finally {
      await fx.close();
    }
  });
});
