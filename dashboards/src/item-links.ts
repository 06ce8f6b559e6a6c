/** Links to the item view, and a paged list of them, shared by the views that name items. */
import { h } from './dom.ts';
import { href, setParams } from './state.ts';

export const itemHref = (benchmark: string, item: string) => href('item', { benchmark, item });

export function itemLink(benchmark: string, item: string): HTMLAnchorElement {
  return h('a', { href: itemHref(benchmark, item), class: 'item-link' }, item);
}

/**
 * A list of item links with a note per item, and Previous / Next buttons that move `param` (the offset in the
 * URL) by `limit`: the page is part of the view's state.
 */
export function itemList(opts: {
  id: string;
  label: string;
  benchmark: string;
  items: readonly { item: string; note?: string }[];
  total: number;
  offset: number;
  limit: number;
  param: string;
}): HTMLElement {
  const { id, label, benchmark, items, total, offset, limit, param } = opts;
  const list = h(
    'ol',
    { class: 'item-list', start: offset + 1, 'aria-label': label, id: `${id}-list` },
    items.map((i) =>
      h('li', {}, itemLink(benchmark, i.item), i.note ? h('span', { class: 'muted' }, ` ${i.note}`) : null),
    ),
  );
  const pager = h(
    'div',
    { class: 'pager' },
    h(
      'span',
      { class: 'muted' },
      total === 0 ? 'none' : `${offset + 1}–${offset + items.length} of ${total.toLocaleString('en')}`,
    ),
    offset > 0
      ? h(
          'button',
          {
            type: 'button',
            id: `${id}-prev`,
            onclick: () => setParams({ [param]: Math.max(0, offset - limit) }),
          },
          'Previous',
        )
      : null,
    offset + items.length < total
      ? h(
          'button',
          { type: 'button', id: `${id}-next`, onclick: () => setParams({ [param]: offset + limit }) },
          'Next',
        )
      : null,
  );
  return h('div', { class: 'item-block', id }, items.length > 0 ? list : null, pager);
}
