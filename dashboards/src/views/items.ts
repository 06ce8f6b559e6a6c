/**
 * Item analysis: difficulty × discrimination of every item (charts/items.ts), the suspect items first in the
 * table beneath (all models wrong, or inverted: the stronger models fail it more often than the weaker ones),
 * each flag named. Coloured by a metadata field; on MMLU-Redux its annotators' error_type, with the share of
 * suspects per annotation, so a reader sees whether the suspects are where the annotators found errors.
 */

import type { ItemRow } from '../../../api/compare/items.ts';
import { drawnItems, itemScatter, valuesByCount } from '../../../charts/items.ts';
import { getJson, seg } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { empty, errorBox, h, int, loading, pct, select, table } from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { itemLink } from '../item-links.ts';
import { chart } from '../plot.ts';
import { setParams } from '../state.ts';
import type { View, ViewContext } from '../view.ts';

/** The answer's fields this view reads (api/routes/items.ts ItemsAnswer). */
export interface ItemsAnswer {
  benchmark: string;
  models: { model: string; n_items: number }[];
  total_items: number;
  flagged: Record<string, number>;
  by: {
    field: string;
    groups: {
      value: unknown;
      items: number;
      suspect: number;
      suspect_share: number;
      all_fail: number;
      inverted: number;
    }[];
  } | null;
  items: ItemRow[];
}

/** The API's page limit (api/routes/items.ts): the scatter asks for every page. */
const PAGE = 5000;
const ROWS = 50;
const FLAG_NAMES: Record<string, string> = {
  all_fail: 'all models wrong',
  inverted: 'inverted (discrimination < −0.2)',
  all_pass: 'all models right',
};

export const isSuspect = (i: Pick<ItemRow, 'flags'>) =>
  i.flags.includes('all_fail') || i.flags.includes('inverted');

/** Suspects first (all wrong, then inverted), each part by discrimination ascending as the API sorts it. */
export function suspectsFirst(items: readonly ItemRow[]): ItemRow[] {
  const rank = (i: ItemRow) => (i.flags.includes('all_fail') ? 0 : i.flags.includes('inverted') ? 1 : 2);
  return items
    .map((i, k) => ({ i, k }))
    .sort((a, b) => rank(a.i) - rank(b.i) || a.k - b.k)
    .map((x) => x.i);
}

export const items: View = {
  id: 'items',
  title: 'Item analysis',
  nav: true,
  async render({ root, params }: ViewContext) {
    root.append(h('h1', {}, 'Item analysis'));
    const status = loading();
    root.append(status);
    const all = (await benchmarks()).benchmarks.filter((b) => b.results > 0);
    status.remove();
    if (all.length === 0) {
      root.append(empty('No results yet: import results (Runs and imports) or start a run.'));
      return;
    }
    const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
    const fields = b.metadata.filter((m) => m.groupable).map((m) => m.name);
    const color =
      params.get('color') === 'none'
        ? ''
        : fields.includes(params.get('color') ?? '')
          ? params.get('color')!
          : fields.includes('error_type')
            ? 'error_type'
            : '';
    const offset = Math.max(0, Number(params.get('off')) || 0);
    root.append(
      h(
        'div',
        { class: 'controls' },
        select(
          'it-benchmark',
          'Benchmark',
          all.map((x) => x.benchmark),
          b.benchmark,
          (v) => setParams({ benchmark: v, color: null, off: null }),
        ),
        select('it-color', 'Colour by', fields, color, (v) => setParams({ color: v || 'none' }), {
          none: 'no field',
        }),
      ),
      h(
        'p',
        { class: 'note' },
        "Difficulty is the share of models that answer the item right; discrimination the correlation of an item's right/wrong with the models' accuracy on the other items. ",
        'An item the stronger models fail more often than the weaker ones (inverted) or that every model fails is suspect: often a wrong reference answer.',
      ),
    );
    const query = {
      benchmark: b.benchmark,
      sort: 'discrimination',
      limit: PAGE,
      ...(color ? { by: color } : {}),
    };
    const path = `benchmarks/${seg(b.benchmark)}/items/analysis`;
    const { benchmark: _, ...qs } = query;
    const wait = loading('Analysing every item…');
    root.append(wait);
    let first: ItemsAnswer;
    let rows: ItemRow[];
    try {
      first = await getJson<ItemsAnswer>(path, { ...qs, offset: 0 }, { cache: true });
      const rest = await Promise.all(
        Array.from({ length: Math.ceil(first.total_items / PAGE) - 1 }, (_, k) =>
          getJson<ItemsAnswer>(path, { ...qs, offset: (k + 1) * PAGE }, { cache: true }),
        ),
      );
      rows = [first, ...rest].flatMap((a) => a.items);
    } catch (err) {
      wait.replaceWith(errorBox(err));
      return;
    }
    wait.remove();
    if (rows.length === 0) {
      root.append(empty('No items have results from any model.'));
      return;
    }
    const drawn = drawnItems(rows).length;
    const ordered = suspectsFirst(rows);
    const shown = ordered.slice(offset, offset + ROWS);
    const suspects = rows.filter(isSuspect).length;
    root.append(
      h(
        'p',
        {},
        `${int(rows.length)} items, ${int(first.models.length)} models. Suspect: ${int(first.flagged.all_fail ?? 0)} all wrong, ${int(first.flagged.inverted ?? 0)} inverted; `,
        `${int(first.flagged.all_pass ?? 0)} all right.`,
      ),
      chart(`${b.benchmark}: difficulty × discrimination per item`, itemScatter(rows, { color }), {
        id: 'items-scatter',
      }),
      h(
        'p',
        { class: 'muted' },
        `${int(drawn)} items drawn; ${int(rows.length - drawn)} that every model answered alike (all right or all wrong) have no discrimination and are in the table only.`,
      ),
    );
    if (first.by) {
      const by = first.by;
      root.append(
        h('h2', {}, `Suspects by ${by.field}`),
        table(
          `Share of suspect items (all wrong or inverted) per ${by.field}, highest first`,
          [
            { label: by.field, value: (g) => String(g.value ?? '∅') },
            { label: 'items', value: (g) => int(g.items), numeric: true },
            { label: 'suspect', value: (g) => int(g.suspect), numeric: true },
            { label: 'suspect share', value: (g) => pct(g.suspect_share), numeric: true },
            { label: 'all wrong', value: (g) => int(g.all_fail), numeric: true },
            { label: 'inverted', value: (g) => int(g.inverted), numeric: true },
          ],
          by.groups,
          'items-by',
        ),
      );
    }
    const colorLegend = color ? valuesByCount(rows, color) : [];
    root.append(
      h('h2', {}, 'Items, suspects first'),
      table(
        `Items of ${b.benchmark}: suspect items first (all models wrong, then inverted), then by discrimination, lowest first`,
        [
          { label: 'item', value: (i) => itemLink(b.benchmark, i.item) },
          {
            label: 'flags',
            value: (i) =>
              i.flags.length === 0
                ? ''
                : h(
                    'span',
                    { class: isSuspect(i) ? 'bad' : '' },
                    i.flags.map((f) => FLAG_NAMES[f] ?? f).join(', '),
                  ),
          },
          ...(color
            ? [
                {
                  label: color,
                  value: (i: ItemRow) => {
                    const v = String(i.metadata[color] ?? '∅');
                    return h('span', { class: colorLegend[0] === v ? '' : 'annotated' }, v);
                  },
                },
              ]
            : []),
          { label: 'models right', value: (i) => pct(i.difficulty, 0), numeric: true },
          {
            label: 'discrimination',
            value: (i) => (i.discrimination === null ? 'n/a' : i.discrimination.toFixed(2)),
            numeric: true,
          },
          { label: 'models', value: (i) => int(i.n_models), numeric: true },
          {
            label: 'Rasch difficulty',
            title: 'logits, higher is harder',
            value: (i) => (i.rasch_difficulty === null ? 'n/a' : i.rasch_difficulty.toFixed(2)),
            numeric: true,
          },
        ],
        shown,
        'items-table',
      ),
      h(
        'div',
        { class: 'pager' },
        h(
          'span',
          { class: 'muted' },
          `rows ${offset + 1}–${offset + shown.length} of ${int(rows.length)} (${int(suspects)} suspect)`,
        ),
        offset > 0
          ? h(
              'button',
              {
                type: 'button',
                id: 'it-prev',
                onclick: () => setParams({ off: Math.max(0, offset - ROWS) }),
              },
              'Previous',
            )
          : null,
        offset + ROWS < rows.length
          ? h(
              'button',
              { type: 'button', id: 'it-next', onclick: () => setParams({ off: offset + ROWS }) },
              'Next',
            )
          : null,
      ),
      exportButtons('items', () => query),
    );
  },
};
