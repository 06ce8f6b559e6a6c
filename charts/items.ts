/**
 * The item analysis as a chart: a pure function of the items of a GET /benchmarks/{b}/items/analysis answer
 * (no DOM), like charts/specs.ts. Choices made here:
 * - one dot per item with a discrimination; items every model got right (or wrong) have none (a constant has no
 *   correlation) and are not drawn: the caller says how many;
 * - difficulty is a share of models, so items stack on a few x values: each dot is moved sideways by a fixed
 *   amount derived from its id (jitter within ±0.4 of a 1/20 step), the same in the browser and in an export;
 * - coloured by a metadata field: its most common value (MMLU-Redux's error_type "ok") in light grey and drawn
 *   first, the rarer values in colour on top, so annotated items stand out where they fall;
 * - a dashed line at the inverted threshold (discrimination −0.2): the suspects below it.
 */
import * as Plot from '@observablehq/plot';
import type { ItemRow } from '../api/compare/items.ts';
import type { MetaValue } from '../core/types.ts';
import { type ChartSize, emptyChart, num, percent, WIDTH } from './layout.ts';

/** The item analysis's inverted flag: discrimination below this (api/compare/items.ts method). */
export const INVERTED_BELOW = -0.2;
const JITTER = 0.02;
const COLOURS = [
  '#1f77b4',
  '#d62728',
  '#ff7f0e',
  '#9467bd',
  '#2ca02c',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
];

interface Dot {
  item: string;
  x: number;
  difficulty: number;
  discrimination: number;
  group: string;
  flags: string;
}

/** A number in [−1, 1] from a string (FNV-1a): the same jitter for an item everywhere. */
function spread(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return ((h >>> 0) / 0xffffffff) * 2 - 1;
}

const label = (v: MetaValue | undefined) => (v === null || v === undefined ? '∅' : String(v));

/** The values of `field` over the items, most common first (ties by name). */
export function valuesByCount(items: readonly Pick<ItemRow, 'metadata'>[], field: string): string[] {
  const counts = new Map<string, number>();
  for (const i of items) {
    const v = label(i.metadata[field]);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
}

/** The items the scatter draws: those with a difficulty and a discrimination. */
export const drawnItems = <T extends Pick<ItemRow, 'difficulty' | 'discrimination'>>(items: readonly T[]) =>
  items.filter((i) => num(i.difficulty) !== null && num(i.discrimination) !== null);

/** Difficulty (share of models right) × discrimination, one dot per item, coloured by `color` when given. */
export function itemScatter(
  items: readonly ItemRow[],
  opts: ChartSize & { color?: string | null } = {},
): Plot.PlotOptions {
  const drawn = drawnItems(items);
  if (drawn.length === 0) {
    return emptyChart(
      items.length === 0
        ? 'No items in this answer'
        : 'No item has a discrimination (every model answered each item alike)',
      opts,
    );
  }
  const field = opts.color ?? null;
  const domain = field ? valuesByCount(drawn, field) : [];
  const rank = new Map(domain.map((v, i) => [v, i]));
  const dots: Dot[] = drawn
    .map((i) => ({
      item: i.item,
      difficulty: i.difficulty!,
      x: i.difficulty! + spread(i.item) * JITTER,
      discrimination: i.discrimination!,
      group: field ? label(i.metadata[field]) : '',
      flags: i.flags.join(', ') || 'none',
    }))
    // the common value beneath, rarer ones on top
    .sort((a, b) => (rank.get(a.group) ?? 0) - (rank.get(b.group) ?? 0));
  return {
    width: opts.width ?? WIDTH + 160,
    height: opts.height ?? 420,
    marginLeft: 50,
    marginRight: field ? 10 : 20,
    marginBottom: 45,
    x: {
      domain: [-4, 104],
      percent: true,
      label: 'difficulty: share of models right (%), jittered',
      grid: true,
    },
    y: { domain: [-1, 1], label: 'discrimination (item–total correlation)', grid: true },
    color: field
      ? {
          type: 'ordinal',
          domain,
          range: ['#c4c4c4', ...COLOURS],
          legend: true,
          label: field,
        }
      : undefined,
    marks: [
      Plot.ruleY([INVERTED_BELOW], { stroke: '#a40e26', strokeDasharray: '4,3' }),
      Plot.text([`inverted: below ${INVERTED_BELOW}`], {
        x: 1.04,
        y: INVERTED_BELOW,
        text: (d: string) => d,
        textAnchor: 'end',
        dy: 9,
        fill: '#a40e26',
        stroke: 'white',
        strokeWidth: 3,
        fontSize: 10,
      }),
      Plot.dot(dots, {
        x: 'x',
        y: 'discrimination',
        r: 2.2,
        fill: field ? 'group' : 'currentColor',
        // thousands of dots: lighter, so density reads as shade
        fillOpacity: field ? 0.85 : dots.length > 3000 ? 0.25 : 0.5,
        tip: true,
        channels: {
          item: { value: 'item', label: 'item' },
          share: { value: (d: Dot) => percent(d.difficulty), label: 'models right' },
          flags: { value: 'flags', label: 'flags' },
          ...(field ? { group: { value: 'group', label: field } } : {}),
        },
      }),
    ],
  };
}
