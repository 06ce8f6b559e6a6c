/**
 * Accuracy against what it costs: per model, cost per item or median latency (x) against accuracy (y), with the
 * Pareto front. Pure functions of a POST /analysis answer with `levels: []` (one row per model) and the measures
 * accuracy, ci95, n_items, cost_usd and latency_ms_p50; the dashboards draw them, an export can too. Choices:
 * - cost per item = the model's summed `cost_usd` / its `n_items` (items with a scored answer): what one more
 *   item of this benchmark costs, samples included; a model with no recorded cost has no point;
 * - the Pareto front is the points no other point beats on both axes (at most the cost, at least the accuracy,
 *   better on one), joined in order of cost: the best accuracy each budget can buy;
 * - x is logarithmic when the values span 10× or more (prices of models differ by orders of magnitude);
 * - only the front's points are named on the chart (names of every point would overlap); the tip names any.
 */
import * as Plot from '@observablehq/plot';
import type { AnalysisResponse } from '../api/analysis/service.ts';
import { type ChartSize, emptyChart, num, percent } from './layout.ts';

export interface CostPoint {
  model: string;
  accuracy: number;
  low: number | null;
  high: number | null;
  items: number;
  /** USD per item; null when the model's results carry no cost */
  cost: number | null;
  /** median latency in ms; null when they carry none */
  latency: number | null;
}

export type CostAxis = 'cost' | 'latency';

export const AXES: Record<
  CostAxis,
  { label: string; field: string; format: (v: number) => string; tick: (v: number) => string }
> = {
  cost: {
    label: 'cost per item (USD)',
    field: 'cost_usd',
    format: (v) => `$${v.toPrecision(3)}`,
    // not Plot's SI default: "2m" would read as two million dollars
    tick: (v) => `$${Number(v.toPrecision(2))}`,
  },
  latency: {
    label: 'latency p50 (ms)',
    field: 'latency_ms_p50',
    format: (v) => `${v.toPrecision(4)} ms`,
    tick: (v) => (v >= 1000 ? `${Number((v / 1000).toPrecision(2))} s` : `${Number(v.toPrecision(2))} ms`),
  },
};

/** Ticks 1, 2, 5 × 10^k around [min, max] (a log axis' own ticks label few of them, or crowd). */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++)
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(1));
      if (t >= min / 2 && t <= max * 2) out.push(t);
    }
  return out;
}

/** One point per model with an accuracy; cost and latency where the answer has them. */
export function costPoints(answer: AnalysisResponse): CostPoint[] {
  const out: CostPoint[] = [];
  for (const r of answer.rows) {
    const accuracy = num(r.accuracy);
    if (accuracy === null) continue;
    const total = num(r.cost_usd);
    const items = r.n_items ?? 0;
    out.push({
      model: r.model,
      accuracy,
      low: r.ci95?.[0] ?? null,
      high: r.ci95?.[1] ?? null,
      items,
      cost: total !== null && items > 0 ? total / items : null,
      latency: num(r.latency_ms_p50),
    });
  }
  return out;
}

/** The points of `points` that have a value on `axis`. */
export const withAxis = (points: readonly CostPoint[], axis: CostAxis) =>
  points.filter((p) => p[axis] !== null);

/**
 * The non-dominated points (lower x, higher accuracy), by x ascending: a sweep by x (ties: best accuracy first)
 * keeping each point more accurate than every cheaper one. Equal points are all kept.
 */
export function paretoFront(points: readonly CostPoint[], axis: CostAxis): CostPoint[] {
  const sorted = withAxis(points, axis).sort(
    (a, b) => a[axis]! - b[axis]! || b.accuracy - a.accuracy || (a.model < b.model ? -1 : 1),
  );
  const front: CostPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    const last = front[front.length - 1];
    if (p.accuracy > best || (last && p.accuracy === last.accuracy && p[axis] === last[axis])) {
      front.push(p);
      best = Math.max(best, p.accuracy);
    }
  }
  return front;
}

/** Accuracy (with its 95 % interval) against cost per item or latency, the Pareto front drawn and named. */
export function costChart(answer: AnalysisResponse, axis: CostAxis, size: ChartSize = {}): Plot.PlotOptions {
  const a = AXES[axis];
  const points = withAxis(costPoints(answer), axis);
  if (points.length === 0) return emptyChart(`No model of this answer has ${a.field}`, size);
  const front = paretoFront(points, axis);
  const xs = points.map((p) => p[axis]!);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const log = min > 0 && max / min >= 10;
  const red = '#c0392b';
  return {
    width: size.width ?? 640,
    height: size.height ?? 380,
    marginLeft: 50,
    marginRight: 30,
    marginTop: 20,
    marginBottom: 40,
    // room inside the frame for the name left of the leftmost point, and above the top one
    x: log
      ? {
          type: 'log',
          label: a.label,
          grid: true,
          ticks: logTicks(min, max),
          tickFormat: a.tick,
          insetLeft: 90,
        }
      : {
          label: a.label,
          grid: true,
          nice: true,
          zero: true,
          tickFormat: a.tick,
          insetLeft: 90,
          insetRight: 10,
        },
    y: { percent: true, label: 'accuracy (%) with 95 % interval', grid: true, insetTop: 14 },
    marks: [
      Plot.ruleX(
        points.filter((p) => p.low !== null && p.high !== null),
        { x: axis, y1: 'low', y2: 'high', stroke: '#999' },
      ),
      Plot.line(front, { x: axis, y: 'accuracy', stroke: red, strokeWidth: 1.5, curve: 'step-after' }),
      Plot.dot(points, {
        x: axis,
        y: 'accuracy',
        fill: 'currentColor',
        r: 3.5,
        tip: true,
        channels: {
          model: { value: 'model', label: 'model' },
          items: { value: 'items', label: 'items' },
          ci95: { value: (d: CostPoint) => `${percent(d.low)} – ${percent(d.high)}`, label: '95 % CI' },
        },
      }),
      Plot.dot(front, { x: axis, y: 'accuracy', stroke: red, r: 7, strokeWidth: 1.5 }),
      Plot.text(front, {
        x: axis,
        y: 'accuracy',
        text: 'model',
        // above left of the point: the step line leaves it to the right and reaches it from below
        dx: -8,
        dy: -9,
        textAnchor: 'end',
        fill: red,
        fontSize: 10,
        textOverflow: 'ellipsis-middle',
        lineWidth: 12,
      }),
    ],
  };
}
