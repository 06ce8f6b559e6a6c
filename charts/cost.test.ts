/** The cost charts' pure parts: the Pareto front against a brute-force dominance check, and a server render. */
import { describe, expect, it } from 'vitest';
import type { AnalysisResponse } from '../api/analysis/service.ts';
import { type CostPoint, costChart, costPoints, logTicks, paretoFront } from './cost.ts';
import { renderSvg } from './server.ts';

/** A small seeded generator (the test must not depend on Math.random). */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 2 ** 32;
    return s / 2 ** 32;
  };
}

const point = (
  model: string,
  accuracy: number,
  cost: number | null,
  latency: number | null = null,
): CostPoint => ({
  model,
  accuracy,
  low: null,
  high: null,
  items: 10,
  cost,
  latency,
});

/** Brute force: p is on the front unless some q is at most as costly, at least as accurate, better on one. */
function dominated(p: CostPoint, all: CostPoint[]): boolean {
  return all.some(
    (q) =>
      q !== p &&
      q.cost! <= p.cost! &&
      q.accuracy >= p.accuracy &&
      (q.cost! < p.cost! || q.accuracy > p.accuracy),
  );
}

describe('paretoFront', () => {
  it('is the non-dominated points, in cost order, on random sets with ties', () => {
    const rnd = lcg(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rnd() * 12);
      // coarse values so that equal costs and equal accuracies happen
      const pts = Array.from({ length: n }, (_, i) =>
        point(`m${i}`, Math.round(rnd() * 5) / 5, rnd() < 0.1 ? null : Math.round(rnd() * 4) + 1),
      );
      const have = pts.filter((p) => p.cost !== null);
      const expected = have.filter((p) => !dominated(p, have)).map((p) => p.model);
      const front = paretoFront(pts, 'cost');
      expect(front.map((p) => p.model).sort()).toEqual(expected.sort());
      for (let i = 1; i < front.length; i++)
        expect(front[i]!.cost!).toBeGreaterThanOrEqual(front[i - 1]!.cost!);
    }
  });

  it('keeps equal points, drops a point matched in accuracy by a cheaper one', () => {
    const pts = [point('a', 0.5, 1), point('b', 0.5, 1), point('c', 0.5, 2), point('d', 0.9, 3)];
    expect(paretoFront(pts, 'cost').map((p) => p.model)).toEqual(['a', 'b', 'd']);
  });
});

describe('costPoints and costChart', () => {
  const answer = {
    benchmark: 'x',
    levels: [],
    unscored: 'exclude',
    rows: [
      {
        model: 'p',
        groups: {},
        n: 10,
        n_items: 10,
        accuracy: 0.5,
        ci95: [0.2, 0.8],
        cost_usd: 0.1,
        latency_ms_p50: 100,
      },
      {
        model: 'q',
        groups: {},
        n: 20,
        n_items: 20,
        accuracy: 0.7,
        ci95: [0.5, 0.85],
        cost_usd: 4,
        latency_ms_p50: 50,
      },
      {
        model: 'r',
        groups: {},
        n: 5,
        n_items: 5,
        accuracy: 0.4,
        ci95: [0.1, 0.8],
        cost_usd: null,
        latency_ms_p50: 70,
      },
      {
        model: 's',
        groups: {},
        n: 0,
        n_items: 0,
        accuracy: null,
        ci95: null,
        cost_usd: null,
        latency_ms_p50: null,
      },
    ],
    totals: [],
    excluded: 0,
    meta: {} as AnalysisResponse['meta'],
  } as unknown as AnalysisResponse;

  it('cost per item is the summed cost over the items; rows without accuracy have no point', () => {
    const pts = costPoints(answer);
    expect(pts.map((p) => p.model)).toEqual(['p', 'q', 'r']);
    expect(pts.map((p) => p.cost)).toEqual([0.01, 0.2, null]);
    expect(paretoFront(pts, 'latency').map((p) => p.model)).toEqual(['q']);
  });

  it('renders on the server (the exports can use it): a dot per point, a ring per front point', () => {
    const svg = renderSvg(costChart(answer, 'cost'));
    const dots = [...svg.matchAll(/<g[^>]*aria-label="dot"[^>]*>(.*?)<\/g>/gs)].map(
      (m) => (m[1]!.match(/<circle/g) ?? []).length,
    );
    // p and q have a cost (both on the front: q costs more and is more accurate)
    expect(dots).toEqual([2, 2]);
    expect(svg).toContain('$0.01');
  });

  it('log ticks are 1, 2, 5 × 10^k around the values', () => {
    expect(logTicks(0.001, 0.02)).toEqual([0.001, 0.002, 0.005, 0.01, 0.02]);
    expect(logTicks(250, 3050)).toEqual([200, 500, 1000, 2000, 5000]);
  });
});
