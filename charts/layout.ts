import * as Plot from '@observablehq/plot';
import type { AnalysisResponse } from '../api/analysis/service.ts';
import { compareValues } from '../core/compare-values.ts';
import type { MetaValue } from '../core/types.ts';

/** What a caller may fix of a chart's size; anything left out grows with the answer. */
export interface ChartSize {
  width?: number;
  height?: number;
}

/** Plot's default width, and the row steps that keep 10px labels apart (dense: 8px labels). */
export const WIDTH = 640;
export const ROW = 16;
export const DENSE_ROW = 10;
/** Beyond this many rows a chart switches to the dense step (57 groups × 14 models = 798 rows). */
export const DENSE_FROM = 200;

/** Label widths in ems: Plot estimates text widths itself, so truncation works without a DOM. */
export const LABEL_EMS = 16;

/** One group's label: its level values, outermost first (no levels: the whole selection). */
export function groupLabel(levels: readonly string[], groups: Record<string, MetaValue>): string {
  if (levels.length === 0) return 'all items';
  return levels.map((l) => String(groups[l] ?? '∅')).join(' · ');
}

/**
 * The distinct groups' labels in each level's natural order (the order the answer sorts by, compareValues). Not
 * first-seen order: rows are sorted by model first, and a model may lack a group that sorts early.
 */
export function groupsInOrder(
  levels: readonly string[],
  rows: readonly { groups: Record<string, MetaValue> }[],
): string[] {
  const byLabel = new Map<string, Record<string, MetaValue>>();
  for (const r of rows) {
    const label = groupLabel(levels, r.groups);
    if (!byLabel.has(label)) byLabel.set(label, r.groups);
  }
  const order = (a: Record<string, MetaValue>, b: Record<string, MetaValue>) => {
    for (const l of levels) {
      const c = compareValues(a[l] ?? null, b[l] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
  return [...byLabel].sort(([, a], [, b]) => order(a, b)).map(([label]) => label);
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Models, best overall (micro) accuracy first; ties by name so the order does not depend on the rows' order. */
export function modelsByAccuracy(answer: AnalysisResponse): string[] {
  const overall = new Map(answer.totals.map((t) => [t.model, t.micro.accuracy]));
  return distinct(answer.rows.map((r) => r.model)).sort(
    (a, b) => (overall.get(b) ?? -1) - (overall.get(a) ?? -1) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

/** A proportion as a percent with `digits` decimals. */
export const percent = (v: number | null, digits = 1): string =>
  v === null ? 'n/a' : `${(v * 100).toFixed(digits)}%`;

/** The export document's p-value rule (api/exports/document.ts `pvalue`): 4 decimals, or < 0.0001. */
export const pValue = (p: number | null): string =>
  p === null ? 'n/a' : p < 0.0001 ? '< 0.0001' : p.toFixed(4);

/** A finite number, or null (accuracy is absent when the request chose other measures). */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A framed chart that says why it is empty, so an export or a dashboard shows a reason instead of failing. */
export function emptyChart(message: string, size: ChartSize): Plot.PlotOptions {
  return {
    width: size.width ?? WIDTH,
    height: size.height ?? 80,
    marks: [
      Plot.frame({ stroke: '#ccc' }),
      Plot.text([message], { text: (d: string) => d, frameAnchor: 'middle', fontSize: 12 }),
    ],
  };
}

/** Height for `rows` rows at the step their number allows, plus margins (and gaps between facets). */
export function heightFor(rows: number, margins: number, facets = 0): number {
  const step = rows > DENSE_FROM ? DENSE_ROW : ROW;
  return Math.round(margins + rows * step + facets * step * 0.6);
}

/** Panels a row of small multiples holds, and each panel's width in px. */
export const PANEL_COLUMNS = 4;
export const PANEL_WIDTH = 160;
/** Room above each panel for its heading. */
const HEADING = 22;

/**
 * Small multiples, one panel per key (a model, a compared pair), wrapped PANEL_COLUMNS to a row: fx/fy accessors
 * for marks over data with that key, the panel headings, and the size the panels need for `rows` rows each.
 */
export function panels<T>(keys: readonly string[], keyOf: (d: T) => string, rows: number, size: ChartSize) {
  const index = new Map(keys.map((k, i) => [k, i]));
  const columns = Math.min(keys.length, PANEL_COLUMNS);
  const panelRows = Math.ceil(keys.length / columns);
  const step = rows > 30 ? DENSE_ROW : ROW;
  const panelHeight = rows * step + HEADING;
  const col = (k: string) => index.get(k)! % columns;
  const row = (k: string) => Math.floor(index.get(k)! / columns);
  return {
    fx: (d: T) => col(keyOf(d)),
    fy: (d: T) => row(keyOf(d)),
    /** fx and fy scales: positions only, the headings name the panels. */
    scales: {
      fx: { domain: [...Array(columns).keys()], axis: null, padding: 0.08 },
      fy: { domain: [...Array(panelRows).keys()], axis: null, padding: HEADING / panelHeight },
    },
    headings: Plot.text(keys, {
      fx: col,
      fy: row,
      text: (k: string) => k,
      frameAnchor: 'top-left',
      lineAnchor: 'bottom',
      dy: -4,
      fontWeight: 'bold',
      textOverflow: 'ellipsis-middle',
      lineWidth: PANEL_WIDTH / 10 - 1,
    }),
    /**
     * The row labels once per panel row, left of its first panel (an axis mark would repeat them beside every
     * panel: mark-level facets have no "leftmost" for it).
     */
    rowLabels: (labels: readonly string[], fontSize: number) =>
      Plot.text(
        [...Array(panelRows).keys()].flatMap((r) => labels.map((label) => ({ r, label }))),
        {
          fx: () => 0,
          fy: (d: { r: number }) => d.r,
          y: 'label',
          text: 'label',
          frameAnchor: 'left',
          textAnchor: 'end',
          dx: -6,
          fontSize,
          textOverflow: 'ellipsis-middle',
          lineWidth: LABEL_EMS,
        },
      ),
    width: (margins: number) => size.width ?? margins + columns * PANEL_WIDTH,
    height: (margins: number) => size.height ?? Math.round(margins + panelRows * panelHeight * 1.1),
  };
}
