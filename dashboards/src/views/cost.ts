/**
 * Cost and latency: per model, accuracy against cost per item and against median latency, with the Pareto front
 * (charts/cost.ts). Shown where the benchmark's results carry those fields; otherwise the page says which are
 * missing and how results get them.
 */
import type { AnalysisResponse } from '../../../api/analysis/service.ts';
import { AXES, type CostAxis, costChart, costPoints, paretoFront, withAxis } from '../../../charts/cost.ts';
import { postJson } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { empty, errorBox, h, int, interval, loading, pct, select, table } from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { chart } from '../plot.ts';
import { href, setParams } from '../state.ts';
import { readUnscored, unscoredSelect } from '../unscored.ts';
import type { View, ViewContext } from '../view.ts';

const MEASURES = ['n', 'n_items', 'accuracy', 'ci95', 'latency_ms_p50', 'cost_usd'] as const;

const HOW =
  'Runs started with `evalhouse run` record latency and cost per answer; imported results carry them when each ' +
  'canonical record has `latency_ms` and `cost_usd` (README, "The canonical format").';

export const cost: View = {
  id: 'cost',
  title: 'Cost and latency',
  nav: true,
  async render({ root, params }: ViewContext) {
    root.append(h('h1', {}, 'Cost and latency'));
    const status = loading();
    root.append(status);
    const all = (await benchmarks()).benchmarks;
    status.remove();
    if (all.length === 0) {
      root.append(empty('No benchmarks yet: import results (Runs and imports) or start a run.'));
      return;
    }
    const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
    const unscored = readUnscored(params);
    root.append(
      h(
        'div',
        { class: 'controls' },
        select(
          'cost-benchmark',
          'Benchmark',
          all.map((x) => x.benchmark),
          b.benchmark,
          (v) => setParams({ benchmark: v }),
        ),
        unscoredSelect('cost-unscored', unscored, (v) => setParams({ unscored: v })),
      ),
      h(
        'p',
        { class: 'note' },
        'One dot per model: accuracy with its 95 % interval against cost per item (its summed cost_usd / its items) ',
        'and against its median latency. The red line is the Pareto front: the models no other model beats on both ',
        'axes (cheaper or faster and at least as accurate).',
      ),
    );
    const query = { benchmark: b.benchmark, levels: [], unscored, measures: [...MEASURES] };
    const out = h('section', { class: 'cost-results', 'aria-label': 'Results' }, loading('Analysing…'));
    root.append(out);
    try {
      const answer = await postJson<AnalysisResponse>('analysis', query, { cache: true });
      out.replaceChildren(...view(answer, () => query));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  },
};

function view(answer: AnalysisResponse, query: () => unknown): HTMLElement[] {
  const points = costPoints(answer);
  if (points.length === 0)
    return [empty(`No scored results for ${answer.benchmark} yet: nothing to set against cost or latency.`)];
  const axes: CostAxis[] = ['cost', 'latency'];
  const missing = axes.filter((a) => withAxis(points, a).length === 0);
  if (missing.length === axes.length)
    return [
      empty(
        `No result of ${answer.benchmark} records cost_usd or latency_ms, so there is nothing to draw. ${HOW}`,
      ),
    ];
  const fronts = new Map(axes.map((a) => [a, new Set(paretoFront(points, a).map((p) => p.model))]));
  const out: HTMLElement[] = [exportButtons('analysis', query)];
  for (const a of axes) {
    const title = `${answer.benchmark}: accuracy against ${AXES[a].label}`;
    out.push(h('h2', {}, `Accuracy against ${AXES[a].label}`));
    const have = withAxis(points, a).length;
    if (have === 0) {
      out.push(
        empty(`No result of ${answer.benchmark} records ${a === 'cost' ? 'cost_usd' : 'latency_ms'}. ${HOW}`),
      );
      continue;
    }
    if (have < points.length)
      out.push(
        h(
          'p',
          { class: 'note' },
          `${points.length - have} of ${points.length} models have no ${a === 'cost' ? 'cost_usd' : 'latency_ms'}: left out here.`,
        ),
      );
    out.push(chart(title, costChart(answer, a), { id: `cost-${a}` }));
  }
  const mark = (a: CostAxis, model: string) => (fronts.get(a)!.has(model) ? 'yes' : '');
  out.push(
    table(
      `${answer.benchmark}: accuracy, cost and latency by model`,
      [
        {
          label: 'model',
          value: (p) =>
            h('a', { href: href('explorer', { benchmark: answer.benchmark, model: p.model }) }, p.model),
        },
        { label: 'accuracy', value: (p) => pct(p.accuracy), numeric: true },
        {
          label: '95 % interval',
          value: (p) => interval(p.low !== null && p.high !== null ? [p.low, p.high] : null),
          numeric: true,
        },
        { label: 'items', value: (p) => int(p.items), numeric: true },
        {
          label: 'cost per item',
          value: (p) => (p.cost === null ? 'n/a' : AXES.cost.format(p.cost)),
          numeric: true,
        },
        {
          label: 'latency p50',
          value: (p) => (p.latency === null ? 'n/a' : AXES.latency.format(p.latency)),
          numeric: true,
        },
        {
          label: 'front (cost)',
          value: (p) => mark('cost', p.model),
          title: 'on the Pareto front of accuracy against cost',
        },
        {
          label: 'front (latency)',
          value: (p) => mark('latency', p.model),
          title: 'on the Pareto front of accuracy against latency',
        },
      ],
      [...points].sort((x, y) => y.accuracy - x.accuracy || x.model.localeCompare(y.model)),
      'cost',
    ),
  );
  return out;
}
