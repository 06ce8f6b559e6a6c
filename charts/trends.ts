/**
 * Accuracy per run over time (a GET /trends answer) as Plot options: a pure function of the answer, like
 * charts/specs.ts. Choices made here:
 * - the 95 % interval is Wilson's on the run's items, the interval /analysis gives as ci95, so a run's band
 *   here matches its whisker on the leaderboard;
 * - a model with two or more runs gets a band (areaY) and a line through its runs; a model with one run has
 *   no band to draw, so its interval is a vertical rule instead;
 * - one dot per run with an accuracy (a run with no scored item has none: it is listed, not drawn);
 * - the y axis fits the intervals (not 0–100 %): a trend is read as change between runs.
 */
import * as Plot from '@observablehq/plot';
import type { trends } from '../api/compare/trends.ts';
import { wilsonFromProportion } from '../core/stats/wilson.ts';
import { type ChartSize, emptyChart, WIDTH } from './layout.ts';

export type TrendsAnswer = Awaited<ReturnType<typeof trends>>;

export interface TrendRow {
  run_id: number;
  model: string;
  label: string;
  date: string;
  date_source: string;
  n_items: number;
  accuracy: number | null;
  low: number | null;
  high: number | null;
  status: string;
  source: string;
}

/** The answer's points with their 95 % interval, oldest first (the answer's order). */
export function trendRows(answer: TrendsAnswer): TrendRow[] {
  return answer.points.map((p) => {
    const ci = p.accuracy === null ? null : wilsonFromProportion(p.accuracy, p.n_items);
    return {
      run_id: p.run_id,
      model: p.model,
      label: p.label,
      date: p.date,
      date_source: p.date_source,
      n_items: p.n_items,
      accuracy: p.accuracy,
      low: ci?.[0] ?? null,
      high: ci?.[1] ?? null,
      status: p.status,
      source: p.source,
    };
  });
}

export function accuracyTrend(answer: TrendsAnswer, size: ChartSize = {}): Plot.PlotOptions {
  const data = trendRows(answer)
    .filter((r) => r.accuracy !== null)
    .map((r) => ({ ...r, when: new Date(r.date) }));
  if (data.length === 0) return emptyChart('No run with an accuracy in this answer', size);
  const runsOf = new Map<string, number>();
  for (const d of data) runsOf.set(d.model, (runsOf.get(d.model) ?? 0) + 1);
  const series = data.filter((d) => runsOf.get(d.model)! > 1);
  const single = data.filter((d) => runsOf.get(d.model) === 1);
  const models = [...runsOf.keys()];
  return {
    width: size.width ?? WIDTH,
    height: size.height ?? 360,
    marginLeft: 50,
    marginRight: 20,
    x: { type: 'time', label: 'run date', grid: true },
    y: { label: 'accuracy (95 % interval)', tickFormat: '.0%', grid: true, nice: true },
    color: { domain: models, legend: true },
    marks: [
      Plot.areaY(series, { x: 'when', y1: 'low', y2: 'high', fill: 'model', fillOpacity: 0.18, z: 'model' }),
      Plot.lineY(series, { x: 'when', y: 'accuracy', stroke: 'model', z: 'model' }),
      Plot.ruleX(single, { x: 'when', y1: 'low', y2: 'high', stroke: 'model', strokeWidth: 2 }),
      Plot.dot(data, {
        x: 'when',
        y: 'accuracy',
        fill: 'model',
        r: 4,
        tip: true,
        channels: {
          run: { value: 'label', label: 'run' },
          items: { value: 'n_items', label: 'items' },
          dated: { value: 'date_source', label: 'dated by' },
        },
      }),
    ],
  };
}
