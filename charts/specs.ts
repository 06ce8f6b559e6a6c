/**
 * The charts of an answer, written once as Observable Plot options: pure functions of a /analysis or /compare
 * answer (no DOM), drawn by the dashboards with the browser's document and by the exports on the server
 * (charts/server.ts). Choices made here:
 * - rows are the answer's groups (all levels joined, outermost first) in each level's natural order, the
 *   answer's; models run best overall (micro) accuracy first;
 * - colour scales are binned (quantize): a continuous ramp legend needs a canvas, which a server DOM lacks, and
 *   ten 10-point bins read as well next to the exact value written in each cell;
 * - the height grows with the rows (a denser step beyond DENSE_FROM rows) and long labels end in an ellipsis
 *   in the middle, which keeps the distinguishing tail of names like high_school_european_history;
 * - tooltips are Plot tips: interactive in the browser, absent (an empty group) in a static SVG.
 */
import * as Plot from '@observablehq/plot';
import type { AnalysisResponse } from '../api/analysis/service.ts';
import type { CompareResponse } from '../api/compare/service.ts';
import {
  type ChartSize,
  DENSE_FROM,
  distinct,
  emptyChart,
  groupLabel,
  groupsInOrder,
  heightFor,
  LABEL_EMS,
  modelsByAccuracy,
  num,
  panels,
  percent,
  pValue,
  WIDTH,
} from './layout.ts';

export type { ChartSize } from './layout.ts';

interface Point {
  model: string;
  group: string;
  accuracy: number | null;
  low: number | null;
  high: number | null;
  items: number;
}

function points(answer: AnalysisResponse): Point[] {
  return answer.rows.map((r) => ({
    model: r.model,
    group: groupLabel(answer.levels, r.groups),
    accuracy: num(r.accuracy),
    low: r.ci95?.[0] ?? null,
    high: r.ci95?.[1] ?? null,
    items: r.n_items,
  }));
}

const noAccuracy = (answer: AnalysisResponse, size: ChartSize) =>
  emptyChart(
    answer.rows.length === 0
      ? 'No rows in this answer'
      : answer.rows.every((r) => r.accuracy === undefined)
        ? 'No accuracy in this answer (not among the measures asked for)'
        : 'No accuracy in this answer (no scored items)',
    size,
  );

/**
 * Accuracy of each model (columns, best first) in each group (rows), binned colour, the value in each cell.
 * `values: false` leaves the values out: a server render lays out every text (1–3 ms each), and an export
 * carries the numbers in its tables.
 */
export function accuracyHeatmap(
  answer: AnalysisResponse,
  size: ChartSize & { values?: boolean } = {},
): Plot.PlotOptions {
  const data = points(answer);
  if (!data.some((d) => d.accuracy !== null)) return noAccuracy(answer, size);
  const models = modelsByAccuracy(answer);
  const groups = groupsInOrder(answer.levels, answer.rows);
  const rotate = models.length > 3 || models.some((m) => m.length > 10);
  const marginTop = rotate ? 150 : 30;
  const marginLeft = 170;
  // labels rotated up to the right reach past the last column by about their length × cos 45°
  const marginRight = rotate ? 130 : 20;
  const dense = groups.length > DENSE_FROM;
  const valued = data.filter((d) => d.accuracy !== null);
  const missing = data.filter((d) => d.accuracy === null);
  const cell = { x: 'model', y: 'group', inset: 0.5 } as const;
  return {
    // columns as wide as their value (and, rotated, their label) needs: a few models do not stretch to 640px
    width: size.width ?? Math.max(300, marginLeft + marginRight + models.length * (rotate ? 36 : 80)),
    height: size.height ?? heightFor(groups.length, marginTop + 10),
    marginTop,
    marginLeft,
    marginRight,
    marginBottom: 10,
    x: { domain: models, label: null },
    y: { domain: groups, label: null },
    color: {
      type: 'quantize',
      n: 10,
      domain: [0, 1],
      scheme: 'blues',
      legend: true,
      label: 'accuracy',
      tickFormat: '.0%',
    },
    marks: [
      Plot.axisX({
        anchor: 'top',
        tickSize: 0,
        tickRotate: rotate ? -45 : 0,
        textOverflow: 'ellipsis-middle',
        lineWidth: 20,
      }),
      Plot.axisY({ tickSize: 0, textOverflow: 'ellipsis-middle', lineWidth: LABEL_EMS }),
      Plot.cell(valued, {
        ...cell,
        fill: 'accuracy',
        tip: true,
        channels: {
          items: { value: 'items', label: 'items' },
          ci95: { value: (d: Point) => `${percent(d.low)} – ${percent(d.high)}`, label: '95 % CI' },
        },
      }),
      Plot.cell(missing, { ...cell, fill: '#eee' }),
      Plot.text(size.values === false ? [] : valued, {
        ...cell,
        text: (d: Point) => percent(d.accuracy, 0),
        // white on the darker half of the scheme
        fill: (d: Point) => ((d.accuracy ?? 0) >= 0.6 ? 'white' : 'black'),
        fontSize: dense ? 7 : 9,
      }),
      Plot.text(size.values === false ? [] : missing, { ...cell, text: () => '–', fill: '#888' }),
    ],
  };
}

/**
 * Accuracy of each model with its 95 % interval: one row per model; with levels, small multiples, a panel per
 * model (best first) with a row per group, so 57 groups × 14 models stay a few screens tall.
 */
export function accuracyIntervals(answer: AnalysisResponse, size: ChartSize = {}): Plot.PlotOptions {
  const data = points(answer);
  if (!data.some((d) => d.accuracy !== null)) return noAccuracy(answer, size);
  const models = modelsByAccuracy(answer);
  const x = { domain: [0, 100], percent: true, grid: true, label: 'accuracy (%) with 95 % interval' };
  const tick = { tickSize: 0, textOverflow: 'ellipsis-middle', lineWidth: LABEL_EMS } as const;
  const whiskers = data.filter((d) => d.low !== null && d.high !== null);
  const dots = data.filter((d) => d.accuracy !== null);
  const tip = {
    tip: true,
    channels: {
      model: { value: 'model', label: 'model' },
      items: { value: 'items', label: 'items' },
      ci95: { value: (d: Point) => `${percent(d.low)} – ${percent(d.high)}`, label: '95 % CI' },
    },
  } as const;
  if (answer.levels.length === 0) {
    const margins = { marginTop: 30, marginBottom: 40, marginLeft: 180, marginRight: 20 };
    return {
      width: size.width ?? WIDTH,
      height: size.height ?? heightFor(models.length, margins.marginTop + margins.marginBottom),
      ...margins,
      x,
      y: { domain: models, label: null, padding: 0.3 },
      marks: [
        Plot.axisX({ anchor: 'top' }),
        Plot.axisX({ anchor: 'bottom', label: null }),
        Plot.axisY(tick),
        Plot.ruleY(whiskers, { y: 'model', x1: 'low', x2: 'high', strokeWidth: 1.5 }),
        Plot.dot(dots, { x: 'accuracy', y: 'model', fill: 'currentColor', r: 3, ...tip }),
      ],
    };
  }
  const groups = groupsInOrder(answer.levels, answer.rows);
  const grid = panels<Point>(models, (d) => d.model, groups.length, size);
  const margins = { marginTop: 30, marginBottom: 40, marginLeft: 170, marginRight: 10 };
  const dense = groups.length > 30;
  return {
    width: grid.width(margins.marginLeft + margins.marginRight),
    height: grid.height(margins.marginTop + margins.marginBottom),
    ...margins,
    ...grid.scales,
    x: { ...x, label: 'accuracy (%), 95 % interval' },
    y: { domain: groups, label: null, padding: 0.2, axis: null },
    marks: [
      Plot.frame({ stroke: '#ddd' }),
      // inner ticks only: a panel's 100 would touch the next panel's 0
      Plot.axisX({ ticks: [25, 50, 75] }),
      grid.rowLabels(groups, dense ? 8 : 10),
      grid.headings,
      Plot.ruleY(whiskers, { y: 'group', fx: grid.fx, fy: grid.fy, x1: 'low', x2: 'high', strokeWidth: 1.2 }),
      Plot.dot(dots, {
        x: 'accuracy',
        y: 'group',
        fx: grid.fx,
        fy: grid.fy,
        fill: 'currentColor',
        r: dense ? 1.8 : 2.5,
        ...tip,
      }),
    ],
  };
}

interface Diff {
  model: string;
  pair: string;
  label: string;
  diff: number | null;
  low: number | null;
  high: number | null;
  significant: boolean | null;
  p: number | null;
  n: number;
  note: string;
}

/**
 * Forest plot of a /compare answer: per row (overall first, then each group) the paired difference with its
 * 95 % interval, a zero line, significant rows filled red, p_adjusted written beside each row. Several models
 * against one baseline: a panel per model (p_adjusted then in the tip).
 */
export function compareForest(answer: CompareResponse, size: ChartSize = {}): Plot.PlotOptions {
  if (answer.rows.length === 0) return emptyChart('No rows in this answer', size);
  const share = answer.metric === 'accuracy';
  const data: Diff[] = answer.rows.map((r) => ({
    model: r.model,
    pair: `${r.model} − ${r.baseline}`,
    label: r.overall ? 'overall' : groupLabel(answer.levels, r.groups),
    diff: r.diff,
    low: r.ci95?.[0] ?? null,
    high: r.ci95?.[1] ?? null,
    significant: r.significant,
    p: r.p_adjusted,
    n: r.n_paired,
    note:
      r.p_adjusted === null
        ? `not testable${r.reason ? `: ${r.reason}` : ''}`
        : `p_adj ${pValue(r.p_adjusted)}${r.significant ? ' *' : ''}`,
  }));
  const pairs = distinct(data.map((d) => d.pair));
  const labels = [
    ...(answer.rows.some((r) => r.overall) ? ['overall'] : []),
    ...groupsInOrder(
      answer.levels,
      answer.rows.filter((r) => !r.overall),
    ),
  ];
  const unit = share ? 'percentage points' : 'score';
  const tick = { tickSize: 0, textOverflow: 'ellipsis-middle', lineWidth: LABEL_EMS } as const;
  const red = '#c0392b';
  const colour = (d: Diff) => (d.significant ? red : '#777');
  const whiskers = data.filter((d) => d.low !== null && d.high !== null);
  const dots = data.filter((d) => d.diff !== null);
  const dot = {
    x: 'diff',
    y: 'label',
    stroke: colour,
    fill: (d: Diff) => (d.significant ? red : 'white'),
    tip: true,
    channels: {
      pair: { value: 'pair', label: 'pair' },
      p_adjusted: { value: (d: Diff) => pValue(d.p), label: 'p adjusted' },
      paired: { value: 'n', label: 'paired items' },
    },
  } as const;
  const zero = Plot.ruleX([0], { stroke: '#555', strokeDasharray: '3,3' });
  if (pairs.length === 1) {
    // one pair: p_adjusted (or why the row is untestable) written beside each row
    const margins = { marginTop: 30, marginBottom: 40, marginLeft: 170, marginRight: 130 };
    const dense = labels.length > DENSE_FROM;
    return {
      width: size.width ?? WIDTH + 120,
      height: size.height ?? heightFor(labels.length, margins.marginTop + margins.marginBottom),
      ...margins,
      x: { percent: share, grid: true, label: `${pairs[0]} (${unit})` },
      y: { domain: labels, label: null, padding: 0.2 },
      marks: [
        Plot.axisX({ anchor: 'top' }),
        Plot.axisX({ anchor: 'bottom', label: null }),
        Plot.axisY({ ...tick, fontSize: dense ? 8 : 10 }),
        zero,
        Plot.ruleY(whiskers, { y: 'label', x1: 'low', x2: 'high', stroke: colour }),
        Plot.dot(dots, { ...dot, r: dense ? 2.5 : 3.5 }),
        Plot.text(data, {
          y: 'label',
          text: 'note',
          frameAnchor: 'right',
          textAnchor: 'start',
          dx: 8,
          fontSize: dense ? 8 : 10,
          fill: (d: Diff) => (d.significant ? red : '#555'),
          textOverflow: 'ellipsis-end',
          lineWidth: 12,
        }),
      ],
    };
  }
  // several models against one baseline: a panel per pair; p_adjusted in the tip, significance in red
  // one baseline per answer (in the axis label): each panel is headed by its model
  const grid = panels<Diff>(distinct(data.map((d) => d.model)), (d) => d.model, labels.length, size);
  const margins = { marginTop: 30, marginBottom: 40, marginLeft: 170, marginRight: 10 };
  const dense = labels.length > 30;
  return {
    width: grid.width(margins.marginLeft + margins.marginRight),
    height: grid.height(margins.marginTop + margins.marginBottom),
    ...margins,
    ...grid.scales,
    x: { percent: share, grid: true, label: `model − ${answer.baseline} (${unit}); red: significant` },
    y: { domain: labels, label: null, padding: 0.2, axis: null },
    marks: [
      Plot.frame({ stroke: '#ddd' }),
      Plot.axisX({ ticks: 4 }),
      grid.rowLabels(labels, dense ? 8 : 10),
      grid.headings,
      zero,
      Plot.ruleY(whiskers, { y: 'label', fx: grid.fx, fy: grid.fy, x1: 'low', x2: 'high', stroke: colour }),
      Plot.dot(dots, { ...dot, fx: grid.fx, fy: grid.fy, r: dense ? 2 : 3 }),
    ],
  };
}
