/**
 * The explorer: a benchmark sliced by up to three metadata levels. Level1 offers the benchmark's groupable
 * fields; Level2 and Level3 offer exactly what POST /benchmarks/{b}/metadata/options answers for the levels (and
 * filtered level values) chosen before, so a level that would leave no group is never offered. The answer is
 * drawn as a heatmap (model × group) and as dots with 95 % whiskers, then tabled; results whose item has no value
 * for a level are counted apart (the answer's `excluded`), and groups of few items are marked small.
 */
import { MEASURES, type MeasureName } from '../../../api/analysis/measure-catalog.ts';
import type { AnalysisResponse } from '../../../api/analysis/service.ts';
import { formatCell } from '../../../api/exports/pdf-format.ts';
import type { OptionsResponse } from '../../../api/routes/benchmarks.ts';
import { accuracyHeatmap, accuracyIntervals } from '../../../charts/specs.ts';
import { postJson, seg } from '../api.ts';
import { benchmarks, metadata } from '../catalog.ts';
import {
  type Column,
  checklist,
  empty,
  errorBox,
  h,
  int,
  interval,
  loading,
  pct,
  select,
  table,
} from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { chart } from '../plot.ts';
import { list, setParams } from '../state.ts';
import { readUnscored, unscoredSelect } from '../unscored.ts';
import type { View, ViewContext } from '../view.ts';
import {
  analysisQuery,
  type ExplorerQuery,
  FILTER_PREFIX,
  type Filters,
  OPTIONAL,
  optionsRequest,
  readFilters,
  readKs,
  SMALL_ITEMS,
} from './explorer-query.ts';

type Row = AnalysisResponse['rows'][number];

/** Collapsible boxes the user opened: a render replaces them, and a tick should not close the box it is in. */
const opened = new Set<string>();
function keepOpen(d: HTMLElement): HTMLElement {
  const details = d as HTMLDetailsElement;
  if (opened.has(details.id)) details.open = true;
  details.addEventListener('toggle', () => {
    if (details.open) opened.add(details.id);
    else opened.delete(details.id);
  });
  return details;
}

const options = (b: string, chosen: string[], filters: Filters) =>
  postJson<OptionsResponse>(`benchmarks/${seg(b)}/metadata/options`, optionsRequest(chosen, filters), {
    cache: true,
  });

/** A measure's cell as the exports write it (api/exports/pdf-format.ts), estimates by their value. */
function measureCell(row: Row, name: string): string {
  const v = row[name];
  if (v && typeof v === 'object' && 'value' in v)
    return formatCell((v as { value: number | null }).value, 'share');
  const m = MEASURES[name as MeasureName];
  return formatCell(typeof v === 'number' ? v : null, m?.format ?? 'number');
}

function results(
  answer: AnalysisResponse,
  query: ExplorerQuery,
  fieldLabel: (f: string) => string,
): HTMLElement[] {
  const rows = answer.rows;
  const levels = answer.levels;
  const small = rows.filter((r) => (r.n_items ?? 0) < SMALL_ITEMS).length;
  const what = levels.length ? levels.map(fieldLabel).join(' × ') : 'the whole benchmark';
  const summary = h(
    'p',
    { class: 'note', id: 'ex-summary' },
    `${int(rows.length)} ${rows.length === 1 ? 'row' : 'rows'} (model × ${what}). `,
    h(
      'span',
      { id: 'ex-excluded', 'data-excluded': answer.excluded },
      levels.length
        ? `${int(answer.excluded)} results left out: their item has no value (NULL) for ${levels.map(fieldLabel).join(' or ')}.`
        : 'No results left out (no levels).',
    ),
    ' ',
    h(
      'span',
      { id: 'ex-small', 'data-small': small },
      `${int(small)} ${small === 1 ? 'row is a small group' : 'rows are small groups'} (fewer than ${SMALL_ITEMS} items: a wide interval), marked "small" in the table.`,
    ),
  );
  if (rows.length === 0)
    return [summary, empty('No results match these choices: remove a filter or pick other models.')];
  const ks = (prefix: string, on: boolean, ks: number[] | undefined) =>
    on ? (ks ?? []).map((k) => `${prefix}${k}`) : [];
  const extras = [
    ...query.measures.filter((m) => !['n', 'n_items', 'accuracy', 'ci95', 'pass@k', 'maj@k'].includes(m)),
    ...ks('pass@', query.measures.includes('pass@k'), query.pass_at),
    ...ks('maj@', query.measures.includes('maj@k'), query.maj_at),
  ];
  const columns: Column<Row>[] = [
    { label: 'model', value: (r) => r.model },
    ...levels.map((l) => ({ label: fieldLabel(l), value: (r: Row) => String(r.groups[l] ?? '∅') })),
    { label: 'n', value: (r) => int(r.n), numeric: true, title: MEASURES.n.description },
    { label: 'items', value: (r) => int(r.n_items), numeric: true, title: MEASURES.n_items.description },
    { label: 'accuracy', value: (r) => pct(r.accuracy), numeric: true },
    {
      label: '95 % interval',
      value: (r) => interval(r.ci95),
      numeric: true,
      title: MEASURES.ci95.description,
    },
    ...extras.map((name) => ({
      label: MEASURES[name as MeasureName]?.label ?? name,
      title: MEASURES[name as MeasureName]?.description,
      value: (r: Row) => measureCell(r, name),
      numeric: true,
    })),
    {
      label: 'note',
      value: (r) =>
        (r.n_items ?? 0) < SMALL_ITEMS
          ? h('span', { class: 'small', title: `fewer than ${SMALL_ITEMS} items: a wide interval` }, 'small')
          : '',
    },
  ];
  const title = `${answer.benchmark}: accuracy by model and ${what}`;
  return [
    summary,
    exportButtons('analysis', () => query),
    h('h2', {}, 'Heatmap'),
    // values written in the cells up to VALUED_CELLS: beyond, 7px numbers are unreadable and cost a third of the
    // redraw; the tooltip and the table carry them
    chart(`${title} (heatmap)`, accuracyHeatmap(answer, { values: answer.rows.length <= VALUED_CELLS }), {
      id: 'explorer-heatmap',
    }),
    h('h2', {}, 'Accuracy with 95 % intervals'),
    chart(`${title} with 95 % intervals`, accuracyIntervals(answer), { id: 'explorer-intervals' }),
    h('h2', {}, 'Table'),
    table(title, columns, rows, 'explorer'),
  ];
}

/** Heatmap cells that still carry their value as text (the exports' rule is alike: values off past 300). */
const VALUED_CELLS = 400;

export const explorer: View = {
  id: 'explorer',
  title: 'Explorer',
  nav: true,
  async render({ root, params }: ViewContext) {
    root.append(h('h1', {}, 'Explorer'));
    const status = loading();
    root.append(status);
    const all = (await benchmarks()).benchmarks;
    if (all.length === 0) {
      status.replaceWith(empty('No benchmarks yet: import results (Runs and imports) or start a run.'));
      return;
    }
    const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
    const md = await metadata(b.benchmark);
    const groupable = md.fields.filter((f) => f.groupable);
    const label = (name: string) => md.fields.find((f) => f.name === name)?.label ?? name;
    const fieldOption = (f: { name: string; label: string }) => ({
      value: f.name,
      label: f.label && f.label !== f.name ? `${f.label} (${f.name})` : f.name,
    });
    const filters = readFilters(params, md.fields);
    const models = list(params, 'model').filter((m) => b.model_names.includes(m));
    const extra = list(params, 'measure').filter((m): m is MeasureName =>
      OPTIONAL.includes(m as MeasureName),
    );
    const unscored = readUnscored(params);
    const passAt = readKs(params.get('pass_at'), [1]);
    const majAt = readKs(params.get('maj_at'), [1]);
    const queryOf = (levels: string[]) =>
      analysisQuery({ benchmark: b.benchmark, levels, models, filters, unscored, extra, passAt, majAt });
    const ask = (q: ExplorerQuery) => postJson<AnalysisResponse>('analysis', q, { cache: true });

    // The cascade: each level is one the API offers after the ones before it. The URL's levels are usually
    // valid, so the options and the analysis are asked at once (a redraw waits for one round trip, not three)
    // and the early answer is used only if the options confirm those levels.
    const guess = guessLevels(params, groupable);
    const l1 = guess[0];
    const l2Asked = l1 ? options(b.benchmark, [l1], filters) : null;
    const l3Asked = guess.length >= 2 ? options(b.benchmark, guess.slice(0, 2), filters) : null;
    const early = b.results > 0 ? ask(queryOf(guess)) : null;
    early?.catch(() => {}); // awaited below when the guess holds; an unused failure is not an error
    const levels: string[] = l1 ? [l1] : [];
    let l2Options: OptionsResponse | null = null;
    let l3Options: OptionsResponse | null = null;
    if (l1 && l2Asked) {
      l2Options = await l2Asked;
      const l2 = l2Options.fields.find((f) => f.name === params.get('l2'))?.name;
      if (l2) {
        levels.push(l2);
        l3Options = await (l3Asked && guess[1] === l2 ? l3Asked : options(b.benchmark, [l1, l2], filters));
        const l3 = l3Options.fields.find((f) => f.name === params.get('l3'))?.name;
        if (l3) levels.push(l3);
      }
    }
    const query = queryOf(levels);
    const answered = () => (early && sameLevels(guess, levels) ? early : ask(query));

    const kInput = (id: string, key: string, text: string, ks: number[]) => {
      const input = h('input', {
        type: 'text',
        id,
        name: id,
        value: ks.join(', '),
        size: 10,
        inputmode: 'numeric',
      });
      input.addEventListener('change', () => setParams({ [key]: readKs(input.value, ks).join(',') }));
      return h('label', { class: 'field', for: id }, h('span', {}, text), input);
    };
    const controls = h(
      'div',
      { class: 'controls' },
      select(
        'ex-benchmark',
        'Benchmark',
        all.map((x) => x.benchmark),
        b.benchmark,
        // another benchmark has other fields, models and values: its own defaults
        (v) =>
          setParams({ benchmark: v, l1: null, l2: null, l3: null, model: null, ...clearFilters(params) }),
      ),
      groupable.length
        ? select('ex-l1', 'Level 1', groupable.map(fieldOption), l1 ?? null, (v) => setParams({ l1: v }))
        : null,
      l2Options
        ? select(
            'ex-l2',
            'Level 2',
            l2Options.fields.map(fieldOption),
            levels[1] ?? '',
            (v) => setParams({ l2: v }),
            {
              none: 'none',
            },
          )
        : null,
      l3Options
        ? select(
            'ex-l3',
            'Level 3',
            l3Options.fields.map(fieldOption),
            levels[2] ?? '',
            (v) => setParams({ l3: v }),
            {
              none: 'none',
            },
          )
        : null,
      unscoredSelect('ex-unscored', unscored, (v) => setParams({ unscored: v })),
    );
    const choices = h(
      'div',
      { class: 'controls explorer-choices' },
      keepOpen(checklist('ex-models', 'Models', b.model_names, models, (v) => setParams({ model: v }))),
      keepOpen(measureList(extra)),
      extra.includes('pass@k') ? kInput('ex-pass-at', 'pass_at', 'pass@k: k', passAt) : null,
      extra.includes('maj@k') ? kInput('ex-maj-at', 'maj_at', 'maj@k: k', majAt) : null,
    );
    const filterBoxes = groupable.map((f, i) =>
      keepOpen(
        checklist(
          `ex-filter-${i}`,
          `Filter ${label(f.name)}`,
          f.values.map((v) => String(v.value)),
          list(params, FILTER_PREFIX + f.name),
          (v) => setParams({ [FILTER_PREFIX + f.name]: v }),
        ),
      ),
    );
    status.remove();
    root.append(
      controls,
      choices,
      h('div', { class: 'controls explorer-filters', role: 'group', 'aria-label': 'Filters' }, filterBoxes),
    );
    if (!groupable.length)
      root.append(
        h('p', { class: 'note' }, `${b.benchmark} has no groupable metadata fields: one row per model.`),
      );
    if (b.results === 0) {
      root.append(empty('No results yet for this benchmark.'));
      return;
    }
    const out = h('section', { class: 'explorer-results', 'aria-label': 'Results' }, loading('Analysing…'));
    root.append(out);
    try {
      const answer = await answered();
      out.replaceChildren(...results(answer, query, label));
      out.dataset.apiMs = answer.meta.elapsed_ms.toFixed(1);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  },
};

/**
 * The levels the URL names, as far as the metadata alone can tell (distinct groupable fields; Level1 defaults to
 * the first): what the options endpoint will most likely confirm.
 */
function guessLevels(params: URLSearchParams, groupable: readonly { name: string }[]): string[] {
  const names = new Set(groupable.map((f) => f.name));
  const l1 = names.has(params.get('l1') ?? '') ? params.get('l1')! : groupable[0]?.name;
  const out = l1 ? [l1] : [];
  for (const key of ['l2', 'l3']) {
    const v = params.get(key);
    if (out.length === (key === 'l2' ? 1 : 2) && v && names.has(v) && !out.includes(v)) out.push(v);
  }
  return out;
}

const sameLevels = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The measures to add; the summary names them (the checklist's "all" would read as every measure). */
function measureList(extra: readonly MeasureName[]): HTMLElement {
  const box = checklist('ex-measures', 'Measures', OPTIONAL, extra, (v) => setParams({ measure: v }));
  box.querySelector('summary')!.textContent =
    `Measures: n, accuracy, 95 % interval${extra.length ? `, ${extra.join(', ')}` : ''}`;
  return box;
}

function clearFilters(params: URLSearchParams): Record<string, null> {
  return Object.fromEntries(
    [...params.keys()].filter((k) => k.startsWith(FILTER_PREFIX)).map((k) => [k, null]),
  );
}
