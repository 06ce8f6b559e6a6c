/**
 * Trends: accuracy per run over time for a model family (the models whose name starts with a prefix), from
 * GET /trends, with the 95 % interval as a band. No export kind of POST /exports carries a trends answer, so
 * the export is a CSV of the table, made in the page.
 */
import { accuracyTrend, type TrendRow, type TrendsAnswer, trendRows } from '../../../charts/trends.ts';
import { ApiError, getJson } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { csvButton, toCsv } from '../csv.ts';
import { empty, errorBox, h, int, interval, loading, pct, select, table } from '../dom.ts';
import { chart } from '../plot.ts';
import { href, setParams } from '../state.ts';
import type { View, ViewContext } from '../view.ts';

/**
 * Families worth suggesting: name prefixes up to a separator shared by two models or more; of prefixes that
 * name the same models, the longest ("Meta-Llama" rather than "Meta").
 */
export function families(models: readonly string[]): { prefix: string; models: number }[] {
  const count = new Map<string, string[]>();
  for (const m of models) {
    for (const match of m.matchAll(/[-_./ ]/g)) {
      const p = m.slice(0, match.index);
      if (p.length < 2) continue;
      count.set(p, [...(count.get(p) ?? []), m]);
    }
  }
  const shared = [...count].filter(([, ms]) => ms.length > 1);
  const key = (ms: string[]) => ms.join('\n');
  const best = new Map<string, string>();
  for (const [p, ms] of shared) {
    const k = key(ms);
    if ((best.get(k)?.length ?? 0) < p.length) best.set(k, p);
  }
  return [...best.values()]
    .map((prefix) => ({ prefix, models: count.get(prefix)!.length }))
    .sort((a, b) => b.models - a.models || a.prefix.localeCompare(b.prefix));
}

const CSV_COLUMNS = [
  'run_id',
  'model',
  'label',
  'date',
  'date_source',
  'n_items',
  'accuracy',
  'low',
  'high',
  'status',
  'source',
] as const satisfies readonly (keyof TrendRow)[];

function prefixBox(value: string, models: readonly string[], onChange: (v: string) => void): HTMLElement {
  const input = h('input', {
    id: 'tr-prefix',
    name: 'tr-prefix',
    type: 'search',
    list: 'tr-prefix-options',
    value,
    autocomplete: 'off',
    placeholder: 'e.g. Meta-Llama',
  });
  input.addEventListener('change', () => onChange(input.value.trim()));
  const options = h(
    'datalist',
    { id: 'tr-prefix-options' },
    [...families(models).map((f) => f.prefix), ...models].map((m) => h('option', { value: m })),
  );
  return h(
    'label',
    { class: 'field', for: 'tr-prefix' },
    h('span', {}, 'Model family (name starts with)'),
    input,
    options,
  );
}

export const trendsView: View = {
  id: 'trends',
  title: 'Trends',
  nav: true,
  async render({ root, params, signal }: ViewContext) {
    root.append(h('h1', {}, 'Trends'));
    const status = loading();
    root.append(status);
    const list = (await benchmarks()).benchmarks.filter((b) => b.runs > 0);
    status.remove();
    if (list.length === 0) {
      root.append(empty('No runs yet: import results (Runs and imports) or start a run.'));
      return;
    }
    const b = list.find((x) => x.benchmark === params.get('benchmark')) ?? list[0]!;
    const prefix = params.get('model_prefix') ?? '';
    const fams = families(b.model_names);
    root.append(
      h(
        'div',
        { class: 'controls' },
        select(
          'tr-benchmark',
          'Benchmark',
          list.map((x) => x.benchmark),
          b.benchmark,
          (v) => setParams({ benchmark: v, model_prefix: null }),
        ),
        prefixBox(prefix, b.model_names, (v) => setParams({ model_prefix: v })),
      ),
    );
    if (fams.length > 0) {
      root.append(
        h(
          'p',
          { class: 'families' },
          'Families: ',
          fams.slice(0, 12).flatMap((f, i) => [
            i > 0 ? ' · ' : '',
            h(
              'a',
              {
                href: href('trends', { benchmark: b.benchmark, model_prefix: f.prefix }),
                'aria-current': f.prefix === prefix ? 'true' : null,
              },
              f.prefix,
            ),
            h('span', { class: 'muted' }, ` (${f.models})`),
          ]),
        ),
      );
    }
    if (!prefix) {
      root.append(
        empty(
          'Type the start of a model name (a family such as one listed above) to see its runs over time.',
        ),
      );
      return;
    }
    // the benchmark list names its models: a prefix that matches none needs no request (the API would 404)
    if (!b.model_names.some((m) => m.startsWith(prefix))) {
      root.append(
        empty(
          `No model of ${b.benchmark} starts with "${prefix}": type another start of a name, or pick a family above.`,
        ),
      );
      return;
    }
    const query = { benchmark: b.benchmark, model_prefix: prefix };
    const wait = loading();
    root.append(wait);
    let answer: TrendsAnswer;
    try {
      answer = await getJson<TrendsAnswer>('trends', query, { cache: true, signal });
    } catch (err) {
      wait.remove();
      if (err instanceof ApiError && err.status === 404 && err.code !== 'HTTP_404') {
        root.append(
          empty(
            `No model of ${b.benchmark} starts with "${prefix}": type another start of a name, or pick a family above.`,
          ),
        );
        return;
      }
      root.append(errorBox(err));
      return;
    }
    wait.remove();
    const rows = trendRows(answer);
    const drawn = rows.filter((r) => r.accuracy !== null);
    if (drawn.length < 2) {
      root.append(
        empty(
          `${drawn.length === 0 ? 'No run' : 'One run'} with an accuracy for models starting with "${prefix}" on ${b.benchmark}: ` +
            'a trend needs two runs or more. Import or start another run of the family (Runs and imports), or type a shorter start of the name.',
        ),
      );
      return;
    }
    const models = new Set(drawn.map((r) => r.model)).size;
    const fig = chart(
      `${b.benchmark}: accuracy per run over time, models starting with ${prefix}`,
      accuracyTrend(answer),
      { id: 'trends' },
    );
    root.append(
      h(
        'p',
        { class: 'note' },
        `${drawn.length} runs of ${models} model${models === 1 ? '' : 's'}, oldest first. `,
        answer.meta.ordered_by,
        '.',
        drawn.every((r) => r.date_source === 'created_at')
          ? h(
              'strong',
              {},
              ' None of these runs says when it was evaluated (no evaluated_at): the dates are when they were imported, not a history.',
            )
          : '',
      ),
      fig,
      table(
        `${b.benchmark}: runs of models starting with ${prefix}`,
        [
          {
            label: 'date',
            value: (r) => h('span', { class: 'nowrap' }, r.date.slice(0, 10)),
            title: 'evaluated_at, else created_at',
          },
          { label: 'dated by', value: (r) => r.date_source },
          { label: 'model', value: (r) => r.model },
          { label: 'run', value: (r) => r.label },
          { label: 'accuracy', value: (r) => pct(r.accuracy), numeric: true },
          {
            label: '95 % interval',
            value: (r) => interval(r.low === null || r.high === null ? null : [r.low, r.high]),
            numeric: true,
          },
          { label: 'n (items)', value: (r) => int(r.n_items), numeric: true },
          { label: 'status', value: (r) => r.status },
        ],
        rows,
        'trends',
      ),
      csvButton(`evalhouse-trends-${b.benchmark}-${prefix}.csv`, () => toCsv(rows, CSV_COLUMNS)),
    );
  },
};
