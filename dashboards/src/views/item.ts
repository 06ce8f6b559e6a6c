/**
 * One item: its question, reference and metadata, and every model's stored result (response, extracted answer,
 * outcome), long responses collapsed. Beneath, lists of the benchmark's items worth a look: all models wrong,
 * the ones the models disagree on most, and the item analysis's inverted (suspect) items. Reached from the other
 * views' item links (not in the navigation).
 */
import { getJson, seg } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { empty, errorBox, h, int, loading, select, table } from '../dom.ts';
import { itemList } from '../item-links.ts';
import { setParams } from '../state.ts';
import type { View, ViewContext } from '../view.ts';
import type { ItemsAnswer } from './items.ts';

/** The answer's fields this view reads (api/routes/results.ts ItemResultsResponse). */
interface Result {
  model: string;
  run: { id: number; label: string };
  sample: number;
  outcome: 'correct' | 'incorrect' | 'unscored' | 'error';
  score: number | null;
  answer: string | null;
  response: string | null;
  response_chars: number | null;
  response_truncated: boolean;
  error: string | null;
}
interface ItemResults {
  benchmark: string;
  item: {
    id: string;
    input: string | null;
    input_truncated: boolean;
    reference: string | null;
    metadata: Record<string, unknown>;
  };
  results: Result[];
  total: number;
}

const LIMIT = 1000;
const LIST = 15;
/** Responses longer than this (or with line breaks) are collapsed. */
const SHORT = 160;

function response(r: Result): HTMLElement | string {
  if (r.error) return h('span', { class: 'bad' }, `error: ${r.error}`);
  const text = r.response;
  if (text === null) return h('span', { class: 'muted' }, 'not stored');
  const cut = r.response_truncated
    ? ` (first ${int(text.length)} of ${int(r.response_chars)} characters)`
    : '';
  if (text.length <= SHORT && !text.includes('\n')) return `${text}${cut}`;
  return h(
    'details',
    { class: 'response' },
    h('summary', {}, `${text.slice(0, 80).replace(/\s+/g, ' ')}… (${int(r.response_chars)} characters)`),
    h('pre', { class: 'text', tabindex: 0 }, text),
    cut ? h('p', { class: 'muted' }, `cut to${cut}`) : null,
  );
}

const OUTCOME_CLASS: Record<string, string> = {
  correct: 'good',
  incorrect: 'bad',
  error: 'bad',
  unscored: 'muted',
};

async function itemSection(benchmark: string, id: string): Promise<(HTMLElement | null)[]> {
  const a = await getJson<ItemResults>(
    `benchmarks/${seg(benchmark)}/items/${seg(id)}/results`,
    { limit: LIMIT },
    { cache: true },
  );
  const correct = a.results.filter((r) => r.outcome === 'correct').length;
  const models = new Set(a.results.map((r) => r.model)).size;
  const meta = Object.entries(a.item.metadata);
  return [
    h('h1', {}, `Item ${a.item.id}`),
    h('p', { class: 'muted' }, `${benchmark} · ${meta.map(([k, v]) => `${k}: ${v ?? '∅'}`).join(' · ')}`),
    h('h2', {}, 'Question'),
    a.item.input === null
      ? empty('The benchmark stores no question text for this item (its import carried none).')
      : h('pre', { class: 'text', id: 'item-input', tabindex: 0 }, a.item.input),
    a.item.input_truncated
      ? h('p', { class: 'muted' }, 'The question is cut here; the export has it whole.')
      : null,
    h(
      'p',
      {},
      h('strong', {}, 'Reference: '),
      a.item.reference ?? h('span', { class: 'muted' }, 'none stored'),
    ),
    h('h2', {}, 'Every model’s result'),
    h(
      'p',
      { id: 'item-summary' },
      `${int(correct)} of ${int(a.total)} results correct, from ${int(models)} model${models === 1 ? '' : 's'}.`,
      a.total > a.results.length ? ` Showing the first ${int(a.results.length)}.` : '',
    ),
    table<Result>(
      `Results for item ${a.item.id}: model, run, sample, outcome, extracted answer and response`,
      [
        { label: 'model', value: (r) => r.model },
        { label: 'run', value: (r) => r.run.label },
        { label: 'sample', value: (r) => r.sample, numeric: true },
        { label: 'outcome', value: (r) => h('span', { class: OUTCOME_CLASS[r.outcome] ?? '' }, r.outcome) },
        { label: 'answer', value: (r) => r.answer ?? h('span', { class: 'muted' }, 'none') },
        { label: 'score', value: (r) => (r.score === null ? '' : String(r.score)), numeric: true },
        { label: 'response', value: response },
      ],
      a.results,
      'item-results',
    ),
  ];
}

async function lists(benchmark: string, params: URLSearchParams): Promise<HTMLElement> {
  const path = `benchmarks/${seg(benchmark)}/items/analysis`;
  const off = (k: string) => Math.max(0, Number(params.get(k)) || 0);
  const [wrong, split, inverted] = await Promise.all([
    getJson<ItemsAnswer & { matching_items: number }>(
      path,
      { flag: 'all_fail', sort: 'item', limit: LIST, offset: off('wo') },
      { cache: true },
    ),
    getJson<ItemsAnswer>(path, { sort: 'split', limit: LIST, offset: off('do') }, { cache: true }),
    getJson<ItemsAnswer & { matching_items: number }>(
      path,
      { flag: 'inverted', sort: 'discrimination', limit: LIST, offset: off('so') },
      { cache: true },
    ),
  ]);
  // split puts unanimous items last: the list ends where they start
  const disagree = split.total_items - (split.flagged.all_pass ?? 0) - (split.flagged.all_fail ?? 0);
  const splitItems = split.items.filter((i) => i.difficulty !== null && i.difficulty > 0 && i.difficulty < 1);
  const block = (id: string, title: string, note: string, list: HTMLElement) =>
    h(
      'div',
      { class: 'item-lists-part' },
      h('h3', { id: `${id}-h` }, title),
      h('p', { class: 'muted' }, note),
      list,
    );
  return h(
    'section',
    { class: 'item-lists', 'aria-labelledby': 'item-lists-h' },
    h('h2', { id: 'item-lists-h' }, `Items of ${benchmark} worth a look`),
    h(
      'div',
      { class: 'item-lists-grid' },
      block(
        'wrong',
        `All models wrong (${int(wrong.matching_items)})`,
        'No model gives the reference answer: often a wrong reference.',
        itemList({
          id: 'wrong',
          label: 'items all models got wrong',
          benchmark,
          items: wrong.items.map((i) => ({ item: i.item })),
          total: wrong.matching_items,
          offset: off('wo'),
          limit: LIST,
          param: 'wo',
        }),
      ),
      block(
        'disagree',
        `Models disagree (${int(disagree)})`,
        'Closest to half the models right first.',
        itemList({
          id: 'disagree',
          label: 'items the models disagree on',
          benchmark,
          items: splitItems.map((i) => ({
            item: i.item,
            note: `${Math.round((i.difficulty ?? 0) * 100)}% right`,
          })),
          total: disagree,
          offset: off('do'),
          limit: LIST,
          param: 'do',
        }),
      ),
      block(
        'suspect',
        `Suspect: inverted (${int(inverted.matching_items)})`,
        'The stronger models fail it more often than the weaker ones (discrimination < −0.2), lowest first.',
        itemList({
          id: 'suspect',
          label: 'inverted items',
          benchmark,
          items: inverted.items.map((i) => ({
            item: i.item,
            note: `discrimination ${i.discrimination?.toFixed(2) ?? 'n/a'}`,
          })),
          total: inverted.matching_items,
          offset: off('so'),
          limit: LIST,
          param: 'so',
        }),
      ),
    ),
  );
}

export const item: View = {
  id: 'item',
  title: 'Item',
  nav: false,
  async render({ root, params }: ViewContext) {
    const status = loading();
    root.append(status);
    const all = (await benchmarks()).benchmarks.filter((b) => b.results > 0);
    status.remove();
    if (all.length === 0) {
      root.append(
        h('h1', {}, 'Item'),
        empty('No results yet: import results (Runs and imports) or start a run.'),
      );
      return;
    }
    const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
    const id = params.get('item');
    const picker = h(
      'div',
      { class: 'controls' },
      select(
        'item-benchmark',
        'Benchmark',
        all.map((x) => x.benchmark),
        b.benchmark,
        (v) => setParams({ benchmark: v, item: null, wo: null, do: null, so: null }, { push: true }),
      ),
    );
    const [head, tail] = await Promise.allSettled([
      id ? itemSection(b.benchmark, id) : Promise.resolve(null),
      lists(b.benchmark, params),
    ]);
    if (!id)
      root.append(
        h('h1', {}, `Items of ${b.benchmark}`),
        picker,
        empty('Pick an item from the lists below.'),
      );
    else if (head.status === 'fulfilled')
      root.append(...(head.value ?? []).filter((e) => e !== null), picker);
    else root.append(h('h1', {}, `Item ${id}`), errorBox(head.reason), picker);
    root.append(tail.status === 'fulfilled' ? tail.value : errorBox(tail.reason));
  },
};
