/**
 * Compare: models against a baseline (two models: A against B), overall and per slice of a Level1 field, as a
 * forest plot of the paired differences with raw and adjusted p-values and P(A > B) in the tables beneath,
 * sorted by the largest regression first (the most negative model − baseline); then the items that separate one
 * model from the baseline, each side paged, each item a link to the item view.
 * A mode switch turns it into an A/B test of runs or of stored prompt versions (the first arm the baseline A):
 * the same forest, and per arm and slice P(B better) with its credible interval, the expected loss of choosing B
 * and whether the paired sample can detect the chosen target difference.
 */

import type { SeparatingResponse } from '../../../api/compare/separating.ts';
import type { CompareResponse } from '../../../api/compare/service.ts';
import { compareForest } from '../../../charts/specs.ts';
import type { MetaValue } from '../../../core/types.ts';
import type { RunView } from '../../../ingest/runner/run-view.ts';
import { getJson, postJson } from '../api.ts';
import { benchmarks } from '../catalog.ts';
import { checklist, empty, errorBox, h, int, loading, pct, pv, select, table } from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { itemList } from '../item-links.ts';
import { chart } from '../plot.ts';
import { list, setParams } from '../state.ts';
import { readUnscored, unscoredSelect } from '../unscored.ts';
import type { View, ViewContext } from '../view.ts';

type Row = CompareResponse['rows'][number];

const CORRECTIONS = [
  { value: 'holm', label: 'Holm (family-wise)' },
  { value: 'bh', label: 'Benjamini–Hochberg (false discovery rate)' },
  { value: 'none', label: 'none' },
];
const PAGE = 25;

/** A signed difference in percentage points. */
export const pp = (d: number | null | undefined) =>
  d === null || d === undefined
    ? 'n/a'
    : `${d > 0 ? '+' : d < 0 ? '−' : ''}${Math.abs(d * 100).toFixed(1)} pp`;
const ppInterval = (ci: readonly [number, number] | null) => (ci ? `${pp(ci[0])} to ${pp(ci[1])}` : 'n/a');

const distinctValues = (vs: readonly MetaValue[]) => [...new Set(vs)];

/** Largest regression first: the most negative difference; rows without one last. */
export function byRegression(rows: readonly Row[]): Row[] {
  return [...rows].sort((x, y) => (x.diff ?? Infinity) - (y.diff ?? Infinity));
}

function sliceLabel(levels: readonly string[], r: Row): string {
  return r.overall ? 'overall' : levels.map((l) => String(r.groups[l] ?? '∅')).join(' · ');
}

function diffTable(caption: string, answer: CompareResponse, rows: readonly Row[], cls: string): HTMLElement {
  return table<Row>(
    caption,
    [
      { label: 'model (A)', value: (r) => r.model },
      { label: 'slice', value: (r) => sliceLabel(answer.levels, r) },
      { label: 'paired items', value: (r) => int(r.n_paired), numeric: true },
      { label: 'accuracy A', value: (r) => pct(r.accuracy_a), numeric: true },
      { label: 'accuracy B', title: answer.baseline, value: (r) => pct(r.accuracy_b), numeric: true },
      {
        label: 'A − B',
        value: (r) => h('span', { class: (r.diff ?? 0) < 0 ? 'bad' : '' }, pp(r.diff)),
        numeric: true,
      },
      { label: '95 % interval', value: (r) => ppInterval(r.ci95), numeric: true },
      { label: 'p', title: 'raw p-value of the paired test', value: (r) => pv(r.p_value), numeric: true },
      {
        label: 'p adjusted',
        title: `${answer.correction} over the family (${answer.meta.correction_family})`,
        value: (r) =>
          r.p_adjusted === null
            ? h('span', { title: r.reason ?? '' }, 'not testable')
            : `${pv(r.p_adjusted)}${r.significant ? ' *' : ''}`,
        numeric: true,
      },
      {
        label: 'P(A > B)',
        title: 'posterior probability that A is more accurate than B on the paired items',
        value: (r) => pct(r.bayes?.prob_a_greater_b),
        numeric: true,
      },
    ],
    rows,
    cls,
  );
}

async function separating(
  benchmark: string,
  model: string,
  baseline: string,
  params: URLSearchParams,
  unscored: string,
  within: { field: string; value: MetaValue } | null,
): Promise<HTMLElement> {
  const section = h(
    'section',
    { class: 'separating', 'aria-labelledby': 'cmp-sep-h' },
    h(
      'h2',
      { id: 'cmp-sep-h' },
      `Items that separate ${model} and ${baseline}${within ? ` (${within.field}: ${String(within.value)})` : ''}`,
    ),
  );
  const sides = [
    { side: 'a', param: 'aoff', label: `${model} right, ${baseline} wrong` },
    { side: 'b', param: 'boff', label: `${baseline} right, ${model} wrong` },
  ] as const;
  const answers = await Promise.all(
    sides.map((s) =>
      postJson<SeparatingResponse>(
        'compare/items',
        {
          benchmark,
          models: [model, baseline],
          side: s.side,
          unscored,
          ...(within ? { filters: { [within.field]: [within.value] } } : {}),
          limit: PAGE,
          offset: Math.max(0, Number(params.get(s.param)) || 0),
        },
        { cache: true },
      ),
    ),
  );
  section.append(
    h(
      'p',
      { class: 'note' },
      `${int(answers[0]!.paired)} items have a value for both; with one sample per item these are the discordant pairs the paired test counts. Each item opens the item view with every model's answer.`,
    ),
  );
  const cols = h('div', { class: 'sep-columns' });
  sides.forEach((s, i) => {
    const a = answers[i]!;
    cols.append(
      h(
        'div',
        { class: 'sep-side', 'data-side': s.side },
        h('h3', { id: `cmp-sep-${s.side}-h` }, `${s.label} (${int(a.total)})`),
        itemList({
          id: `cmp-sep-${s.side}`,
          label: s.label,
          benchmark,
          items: a.items.map((it) => ({
            item: it.item,
            note: a.items.some((x) => x.a !== 1 && x.a !== 0)
              ? `${pct(it.a, 0)} vs ${pct(it.b, 0)}`
              : undefined,
          })),
          total: a.total,
          offset: a.offset,
          limit: PAGE,
          param: s.param,
        }),
      ),
    );
  });
  section.append(cols);
  return section;
}

const MODES = [
  { value: 'models', label: 'models' },
  { value: 'runs', label: 'runs (A/B)' },
  { value: 'prompts', label: 'prompt versions (A/B)' },
];
const TARGETS = ['0.01', '0.02', '0.05', '0.1'].map((v) => ({ value: v, label: `${Number(v) * 100} pp` }));
/** The parameters of one mode, cleared when the mode changes. */
const MODE_RESET = {
  baseline: null,
  model: null,
  pair: null,
  aoff: null,
  boff: null,
  runa: null,
  runb: null,
  versions: null,
  pmodel: null,
};

function modeSwitch(mode: string): HTMLElement {
  return h(
    'div',
    { class: 'controls' },
    select('cmp-mode', 'Compare', MODES, mode, (v) =>
      setParams({ mode: v === 'models' ? null : v, ...MODE_RESET }),
    ),
  );
}

/** The expected loss, in percentage points of accuracy (two decimals: losses are often a fraction of one). */
const lossPp = (v: number | null | undefined) =>
  v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(2)} pp`;

/** Whether the paired sample can detect the target difference, in words. */
export function sampleVerdict(r: Row): string {
  const s = r.sample_size;
  if (!s) return 'n/a';
  if (s.n_needed === null) return 'no n is enough at this discordance';
  return s.large_enough ? `enough (needs ${int(s.n_needed)})` : `too small: needs ${int(s.n_needed)}`;
}

function abTable(caption: string, answer: CompareResponse, rows: readonly Row[], cls: string): HTMLElement {
  return table<Row>(
    caption,
    [
      { label: 'arm (B)', value: (r) => r.model },
      { label: 'slice', value: (r) => sliceLabel(answer.levels, r) },
      { label: 'paired items', value: (r) => int(r.n_paired), numeric: true },
      { label: 'accuracy A', title: answer.baseline, value: (r) => pct(r.accuracy_b), numeric: true },
      { label: 'accuracy B', value: (r) => pct(r.accuracy_a), numeric: true },
      {
        label: 'B − A',
        value: (r) => h('span', { class: (r.diff ?? 0) < 0 ? 'bad' : '' }, pp(r.diff)),
        numeric: true,
      },
      { label: '95 % interval', value: (r) => ppInterval(r.ci95), numeric: true },
      {
        label: 'p',
        title: 'exact McNemar p-value (paired t for several samples)',
        value: (r) => pv(r.p_value),
        numeric: true,
      },
      {
        label: 'P(B better)',
        title: 'posterior probability that B is more accurate than A (Dirichlet over the paired cells)',
        value: (r) => pct(r.paired_bayes?.prob_model_better),
        numeric: true,
      },
      {
        label: 'credible interval',
        title: '95 % credible interval of B − A',
        value: (r) => ppInterval(r.paired_bayes?.ci95 ?? null),
        numeric: true,
      },
      {
        label: 'expected loss of B',
        title: 'accuracy expected to be lost by choosing B: E[max(0, A − B)]',
        value: (r) => lossPp(r.paired_bayes?.expected_loss_model),
        numeric: true,
      },
      {
        label: `detects ${pp(answer.target_difference)}?`,
        title:
          'paired items McNemar needs at 80 % power for the target difference, with the observed discordance',
        value: (r) => sampleVerdict(r),
      },
    ],
    rows,
    cls,
  );
}

/** Runs or prompt versions as the arms of an A/B test on one benchmark. */
async function renderAB(
  root: HTMLElement,
  params: URLSearchParams,
  mode: 'runs' | 'prompts',
  all: Awaited<ReturnType<typeof benchmarks>>['benchmarks'],
): Promise<void> {
  const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
  const fields = b.metadata.filter((m) => m.groupable).map((m) => m.name);
  const slice = fields.includes(params.get('slice') ?? '') ? params.get('slice')! : '';
  const target = TARGETS.some((t) => t.value === params.get('target')) ? params.get('target')! : '0.05';
  const unscored = readUnscored(params);
  const common = [
    select(
      'cmp-benchmark',
      'Benchmark',
      all.map((x) => x.benchmark),
      b.benchmark,
      (v) => setParams({ benchmark: v, slice: null, ...MODE_RESET }),
    ),
  ];
  const tail = [
    select('cmp-slice', 'Slice by', fields, slice, (v) => setParams({ slice: v }), {
      none: 'no slice (overall)',
    }),
    select('cmp-target', 'Target difference', TARGETS, target, (v) => setParams({ target: v })),
    unscoredSelect('cmp-unscored', unscored, (v) => setParams({ unscored: v })),
  ];
  const base = {
    levels: slice ? [slice] : [],
    unscored,
    target_difference: Number(target),
  };
  let query: Record<string, unknown>;
  if (mode === 'runs') {
    let runs: RunView[];
    try {
      runs = (
        await getJson<{ runs: RunView[] }>('runs', { benchmark: b.benchmark, limit: 1000 }, { cache: true })
      ).runs
        .filter((r) => r.status !== 'importing')
        .sort((x, y) => x.id - y.id);
    } catch (err) {
      root.append(errorBox(err));
      return;
    }
    const name = (r: RunView) => `#${r.id} ${r.label} · ${r.model}`;
    const idOf = (v: string) => Number(/^#(\d+)/.exec(v)?.[1]);
    const a = runs.find((r) => String(r.id) === params.get('runa')) ?? runs[0];
    const others = runs.filter((r) => r !== a);
    const askedB = list(params, 'runb');
    const chosen = params.has('runb')
      ? others.filter((r) => askedB.includes(String(r.id)))
      : others.slice(0, 1);
    root.append(
      h(
        'div',
        { class: 'controls' },
        ...common,
        select(
          'cmp-run-a',
          'Baseline run (A)',
          runs.map((r) => ({ value: String(r.id), label: name(r) })),
          a ? String(a.id) : null,
          (v) => setParams({ runa: v, runb: null }),
        ),
        checklist('cmp-runs-b', 'Compared with it (B)', others.map(name), chosen.map(name), (v) =>
          setParams({ runb: v.length > 0 ? v.map((x) => String(idOf(x))) : [''] }),
        ),
        ...tail,
      ),
    );
    if (!a || chosen.length === 0) {
      root.append(
        empty('Pick a baseline run and at least one run to compare with it (two runs of this benchmark).'),
      );
      return;
    }
    query = { runs: [a.id, ...chosen.map((r) => r.id)], ...base };
  } else {
    const versions = (params.get('versions') ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const pmodel = b.model_names.includes(params.get('pmodel') ?? '') ? params.get('pmodel')! : '';
    const input = h('input', {
      type: 'text',
      id: 'cmp-versions',
      name: 'versions',
      value: versions.join(', '),
      placeholder: 'name@3, name@4',
      autocomplete: 'off',
    });
    const form = h(
      'form',
      { class: 'controls', 'aria-label': 'Prompt versions to compare' },
      ...common,
      h(
        'label',
        { class: 'field', for: 'cmp-versions' },
        h('span', {}, 'Prompt versions (first = A)'),
        input,
      ),
      select('cmp-prompt-model', 'Model', b.model_names, pmodel, (v) => setParams({ pmodel: v }), {
        none: 'the one that ran them',
      }),
      h('button', { type: 'submit', id: 'cmp-versions-apply' }, 'Compare'),
      ...tail,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      setParams({ versions: input.value.trim() || null });
    });
    root.append(form);
    if (versions.length < 2) {
      root.append(
        empty('Name two or more stored prompt versions, e.g. "qa@3, qa@4": the first is the baseline.'),
      );
      return;
    }
    query = {
      prompt_versions: versions,
      benchmark: b.benchmark,
      ...(pmodel ? { model: pmodel } : {}),
      ...base,
    };
  }
  root.append(
    h(
      'p',
      { class: 'note' },
      'Each row is an arm B against the baseline A on the items both answered: B − A with its paired interval and exact McNemar p; ',
      'P(B better), its credible interval and the accuracy expected to be lost by choosing B come from a Dirichlet(1, 1, 1, 1) posterior over the paired cells.',
    ),
  );
  let answer: CompareResponse;
  try {
    answer = await postJson<CompareResponse>('compare', query, { cache: true });
  } catch (err) {
    root.append(errorBox(err));
    return;
  }
  const overall = answer.rows.filter((r) => r.overall);
  const slices = byRegression(answer.rows.filter((r) => !r.overall));
  const parts: (HTMLElement | null)[] = [
    h('h2', {}, `A/B: each arm − ${answer.baseline}`),
    chart(
      `${answer.benchmark}: paired differences arm − ${answer.baseline} with 95 % interval`,
      compareForest(answer),
      {
        id: 'compare-forest',
      },
    ),
    abTable(`Overall: each arm − ${answer.baseline}`, answer, overall, 'compare-ab-overall'),
    slices.length > 0
      ? abTable(
          `Per ${slice}: each arm − ${answer.baseline}, largest regression first`,
          answer,
          slices,
          'compare-ab-slices',
        )
      : null,
    exportButtons('compare', () => query),
  ];
  root.append(...parts.filter((e) => e !== null));
}

export const compare: View = {
  id: 'compare',
  title: 'Compare',
  nav: true,
  async render({ root, params }: ViewContext) {
    const mode =
      params.get('mode') === 'runs' ? 'runs' : params.get('mode') === 'prompts' ? 'prompts' : 'models';
    root.append(
      h(
        'h1',
        {},
        mode === 'models'
          ? 'Compare models'
          : mode === 'runs'
            ? 'Compare runs (A/B)'
            : 'Compare prompt versions (A/B)',
      ),
    );
    root.append(modeSwitch(mode));
    if (mode !== 'models') {
      const wait = loading();
      root.append(wait);
      const withRuns = (await benchmarks()).benchmarks.filter((x) => x.model_names.length >= 1);
      wait.remove();
      if (withRuns.length === 0) {
        root.append(empty('No benchmark has results yet: import or run one.'));
        return;
      }
      await renderAB(root, params, mode, withRuns);
      return;
    }
    const status = loading();
    root.append(status);
    const all = (await benchmarks()).benchmarks.filter((b) => b.model_names.length >= 2);
    status.remove();
    if (all.length === 0) {
      root.append(empty('No benchmark has results of two models yet: import or run a second model.'));
      return;
    }
    const b = all.find((x) => x.benchmark === params.get('benchmark')) ?? all[0]!;
    const names = b.model_names;
    const baseline = names.includes(params.get('baseline') ?? '') ? params.get('baseline')! : names[1]!;
    const others = names.filter((m) => m !== baseline);
    const asked = list(params, 'model').filter((m) => others.includes(m));
    const models = params.has('model') ? asked : [names.find((m) => m !== baseline)!];
    const fields = b.metadata.filter((m) => m.groupable).map((m) => m.name);
    const slice = fields.includes(params.get('slice') ?? '') ? params.get('slice')! : '';
    const correction = CORRECTIONS.some((c) => c.value === params.get('correction'))
      ? params.get('correction')!
      : 'holm';
    const unscored = readUnscored(params);
    root.append(
      h(
        'div',
        { class: 'controls' },
        select(
          'cmp-benchmark',
          'Benchmark',
          all.map((x) => x.benchmark),
          b.benchmark,
          (v) =>
            setParams({
              benchmark: v,
              baseline: null,
              model: null,
              slice: null,
              in: null,
              pair: null,
              aoff: null,
              boff: null,
            }),
        ),
        select('cmp-baseline', 'Baseline (B)', names, baseline, (v) =>
          setParams({
            baseline: v,
            model: models.filter((m) => m !== v),
            pair: null,
            aoff: null,
            boff: null,
          }),
        ),
        checklist('cmp-models', 'Compared with it (A)', others, models, (v) =>
          // an empty list stays in the URL as one empty value, so "none chosen" survives a reload
          setParams({ model: v.length > 0 ? v : [''], pair: null, aoff: null, boff: null }),
        ),
        select(
          'cmp-slice',
          'Slice by',
          fields,
          slice,
          (v) => setParams({ slice: v, in: null, aoff: null, boff: null }),
          {
            none: 'no slice (overall)',
          },
        ),
        select('cmp-correction', 'Correction', CORRECTIONS, correction, (v) => setParams({ correction: v })),
        unscoredSelect('cmp-unscored', unscored, (v) => setParams({ unscored: v, aoff: null, boff: null })),
      ),
      h(
        'p',
        { class: 'note' },
        'Each row is a paired difference A − B over the items both models answered (exact McNemar test; p adjusted over every slice row). ',
        'A red dot is significant after the correction. P(A > B) is the posterior probability that A is the more accurate on those items.',
      ),
    );
    if (models.length === 0) {
      root.append(
        empty('Pick at least one model to compare with the baseline (the "Compared with it" list).'),
      );
      return;
    }
    const query = {
      benchmark: b.benchmark,
      models: [...models, baseline],
      baseline,
      levels: slice ? [slice] : [],
      correction,
      unscored,
    };
    let answer: CompareResponse;
    try {
      answer = await postJson<CompareResponse>('compare', query, { cache: true });
    } catch (err) {
      root.append(errorBox(err));
      return;
    }
    const overall = byRegression(answer.rows.filter((r) => r.overall));
    const slices = byRegression(answer.rows.filter((r) => !r.overall));
    const parts: (HTMLElement | null)[] = [
      h('h2', {}, 'Paired differences'),
      chart(
        `${b.benchmark}: paired differences model − ${baseline} with 95 % interval`,
        compareForest(answer),
        {
          id: 'compare-forest',
        },
      ),
      diffTable(
        `Overall: each model − ${baseline}, largest regression first`,
        answer,
        overall,
        'compare-overall',
      ),
      slices.length > 0
        ? diffTable(
            `Per ${slice}: each model − ${baseline}, sorted by the largest regression first (most negative A − B)`,
            answer,
            slices,
            'compare-slices',
          )
        : null,
      answer.excluded_items > 0
        ? h('p', { class: 'muted' }, `${int(answer.excluded_items)} items left out: no ${slice} value.`)
        : null,
      exportButtons('compare', () => query),
    ];
    root.append(...parts.filter((e) => e !== null));
    const pair = models.includes(params.get('pair') ?? '') ? params.get('pair')! : models[0]!;
    // the slice's values as the answer gives them (typed), chosen in the URL by their text
    const values = distinctValues(slices.map((r) => r.groups[slice] ?? null));
    const chosen = values.find((v) => String(v) === params.get('in'));
    const within = slice && chosen !== undefined && chosen !== null ? { field: slice, value: chosen } : null;
    const sepControls = [
      models.length > 1
        ? select('cmp-pair', 'Separating items of', models, pair, (v) =>
            setParams({ pair: v, aoff: null, boff: null }),
          )
        : null,
      slice
        ? select(
            'cmp-in',
            `Separating items in ${slice}`,
            values.filter((v) => v !== null).map(String),
            within ? String(within.value) : null,
            (v) => setParams({ in: v, aoff: null, boff: null }),
            { none: `every ${slice}` },
          )
        : null,
    ].filter((e) => e !== null);
    if (sepControls.length > 0) root.append(h('div', { class: 'controls' }, sepControls));
    try {
      root.append(await separating(b.benchmark, pair, baseline, params, unscored, within));
    } catch (err) {
      root.append(errorBox(err));
    }
  },
};
