/**
 * The home page: per benchmark, models ranked by accuracy with the 95 % interval drawn. Ranks come from the
 * intervals, not the point estimates: a model's rank is 1 + the number of models whose whole interval lies above
 * its own, so models whose intervals overlap share a rank (a tie, marked "="), and a 0.1-point lead is not
 * presented as a win. Micro accuracy pools every item; macro is the unweighted mean over the benchmark's first
 * metadata field's groups (named on the page).
 */
import type { AnalysisResponse } from '../../../api/analysis/service.ts';
import { accuracyIntervals } from '../../../charts/specs.ts';
import { postJson } from '../api.ts';
import { type Benchmark, benchmarks } from '../catalog.ts';
import { empty, errorBox, h, int, interval, loading, pct, select, table } from '../dom.ts';
import { exportButtons } from '../exports.ts';
import { availableWidth, chart } from '../plot.ts';
import { href, setParams } from '../state.ts';
import { readUnscored, unscoredSelect } from '../unscored.ts';
import type { View, ViewContext } from '../view.ts';

type Row = AnalysisResponse['rows'][number];

/** Rank by intervals: 1 + the models whose lower bound is above this one's upper bound. */
export function intervalRanks(rows: readonly Row[]): Map<string, { rank: number; tie: boolean }> {
  const ranks = new Map<string, number>();
  for (const r of rows) {
    const above = rows.filter((o) => o !== r && o.ci95 && r.ci95 && o.ci95[0] > r.ci95[1]).length;
    ranks.set(r.model, 1 + above);
  }
  const counts = new Map<number, number>();
  for (const v of ranks.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  return new Map([...ranks].map(([m, rank]) => [m, { rank, tie: (counts.get(rank) ?? 0) > 1 }]));
}

async function board(b: Benchmark, unscored: string): Promise<HTMLElement> {
  const section = h('section', {
    class: 'board',
    'aria-labelledby': `lb-${b.benchmark}`,
    'data-benchmark': b.benchmark,
  });
  const title = h(
    'h2',
    { id: `lb-${b.benchmark}` },
    h('a', { href: href('explorer', { benchmark: b.benchmark }) }, b.benchmark),
  );
  section.append(
    title,
    h('p', { class: 'muted' }, `${int(b.items)} items · ${int(b.models)} models · ${int(b.results)} results`),
  );
  if (b.results === 0) {
    section.append(empty('No results yet for this benchmark.'));
    return section;
  }
  const macroField = b.metadata.find((m) => m.groupable)?.name;
  const query = { benchmark: b.benchmark, levels: [], unscored };
  try {
    const [micro, macro] = await Promise.all([
      postJson<AnalysisResponse>('analysis', query, { cache: true }),
      macroField
        ? postJson<AnalysisResponse>('analysis', { ...query, levels: [macroField] }, { cache: true })
        : Promise.resolve(null),
    ]);
    const rows = micro.rows
      .filter((r) => r.accuracy !== null && r.accuracy !== undefined)
      .sort((x, y) => (y.accuracy ?? 0) - (x.accuracy ?? 0) || x.model.localeCompare(y.model));
    if (rows.length === 0) {
      section.append(empty('No scored results: every answer is unscored or an error.'));
      return section;
    }
    const ranks = intervalRanks(rows);
    // by rank, then accuracy: a wide interval (few items) may share a better rank than a higher point estimate
    rows.sort(
      (x, y) => ranks.get(x.model)!.rank - ranks.get(y.model)!.rank || (y.accuracy ?? 0) - (x.accuracy ?? 0),
    );
    const macroOf = new Map(macro?.totals.map((t) => [t.model, t.macro]) ?? []);
    section.append(
      chart(
        `${b.benchmark}: accuracy by model with 95 % interval`,
        accuracyIntervals({ ...micro, rows }, { width: availableWidth(900) }),
        {
          id: `leaderboard-${b.benchmark}`,
        },
      ),
      table(
        `${b.benchmark}: models ranked by their 95 % intervals`,
        [
          {
            label: 'rank',
            value: (r) => {
              const k = ranks.get(r.model)!;
              return k.tie
                ? h(
                    'span',
                    { title: 'tied: its interval overlaps another model of this rank' },
                    `${k.rank} =`,
                  )
                : String(k.rank);
            },
          },
          { label: 'model', value: (r) => r.model },
          { label: 'accuracy (micro)', value: (r) => pct(r.accuracy), numeric: true },
          { label: '95 % interval', value: (r) => interval(r.ci95), numeric: true },
          { label: 'n (items)', value: (r) => int(r.n_items), numeric: true },
          ...(macroField
            ? [
                {
                  label: `macro over ${macroField}`,
                  title: `unweighted mean of the ${macroField} groups' accuracies`,
                  value: (r: Row) => pct(macroOf.get(r.model)?.accuracy),
                  numeric: true,
                },
              ]
            : []),
        ],
        rows,
        'leaderboard',
      ),
      exportButtons('analysis', () => query),
    );
  } catch (err) {
    section.append(errorBox(err));
  }
  return section;
}

export const leaderboard: View = {
  id: 'leaderboard',
  title: 'Leaderboard',
  nav: true,
  async render({ root, params }: ViewContext) {
    const only = params.get('benchmark');
    const unscored = readUnscored(params);
    root.append(h('h1', {}, 'Leaderboard'));
    const status = loading();
    root.append(status);
    const list = (await benchmarks()).benchmarks;
    status.remove();
    root.append(
      h(
        'div',
        { class: 'controls' },
        select(
          'lb-benchmark',
          'Benchmark',
          list.map((b) => b.benchmark),
          only,
          (v) => setParams({ benchmark: v }),
          {
            none: 'all benchmarks',
          },
        ),
        unscoredSelect('lb-unscored', unscored, (v) => setParams({ unscored: v })),
      ),
      h(
        'p',
        { class: 'note' },
        'Rank = 1 + the number of models whose whole 95 % interval lies above this one; models sharing a rank (=) are tied: their intervals overlap. ',
        'Micro accuracy pools every item; macro is the unweighted mean over the groups named.',
      ),
    );
    const shown = list.filter((b) => !only || b.benchmark === only);
    if (shown.length === 0) {
      root.append(
        empty(
          only
            ? `No benchmark named "${only}".`
            : 'No benchmarks yet: import results (Runs and imports) or start a run.',
        ),
      );
      return;
    }
    const boards = await Promise.all(shown.map((b) => board(b, unscored)));
    root.append(...boards);
  },
};
