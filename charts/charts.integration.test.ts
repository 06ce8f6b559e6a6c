/**
 * The chart specifications on real answers: AnalysisService and compare() over a DuckDB file loaded with the
 * bundled MMLU-Redux results (demo/) and a small Korean-named benchmark, rendered to SVG on the server. Mark
 * counts are checked against the answer's rows, and the heatmap's numbers and model order against an
 * independent computation from the demo file. Sample SVG/PNG files go to test-output/charts/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DOMParser } from 'linkedom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisRequest } from '../api/analysis/request.ts';
import type { AnalysisResponse } from '../api/analysis/service.ts';
import { CompareRequest } from '../api/compare/request.ts';
import { type CompareResponse, compare } from '../api/compare/service.ts';
import { type AppContext, openContext } from '../api/context.ts';
import { loadConfig } from '../core/config.ts';
import type { CanonicalRecord } from '../core/types.ts';
import { importFile } from '../ingest/import-file.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { rasterize, renderChart, renderSvg } from './server.ts';
import { accuracyHeatmap, accuracyIntervals, compareForest } from './specs.ts';

const OUT = 'test-output/charts';
const DEMO = 'demo/mmlu-redux.jsonl.gz';
const tmp = tmpDir('evalhouse-charts-');
let ctx: AppContext;

/** The Korean benchmark: per (model, subject) `correct` of 4 items, so each accuracy is known exactly. */
const KO = { '한국어-모델': { 수학: 3, 과학: 1 }, 'model-b': { 수학: 2, 과학: 4 } } as const;
function koreanRecords(): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  for (const [model, subjects] of Object.entries(KO)) {
    for (const [subject, correct] of Object.entries(subjects)) {
      for (let i = 0; i < 4; i++) {
        out.push({
          benchmark: 'ko-bench',
          model,
          run: 'r1',
          item_id: `${subject}-${i}`,
          sample: 0,
          outcome: i < correct ? 'correct' : 'incorrect',
          correct: i < correct,
          score: null,
          metadata: { subject },
        });
      }
    }
  }
  // a group with no scored item: its accuracy is null, its cell grey
  for (let i = 0; i < 4; i++) {
    out.push({
      benchmark: 'ko-bench',
      model: '한국어-모델',
      run: 'r1',
      item_id: `국어-${i}`,
      sample: 0,
      outcome: 'unscored',
      correct: null,
      score: null,
      metadata: { subject: '국어' },
    });
  }
  return out;
}

/** Per model and per (model, subject): correct / scored straight from the demo file (one sample per item). */
function demoAccuracy() {
  const cells = new Map<string, { c: number; n: number }>();
  const models = new Map<string, { c: number; n: number; results: number }>();
  const text = gunzipSync(readFileSync(DEMO)).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { model: string; correct: boolean | null; metadata: { subject: string } };
    const m = models.get(r.model) ?? { c: 0, n: 0, results: 0 };
    m.results++;
    models.set(r.model, m);
    if (r.correct === null) continue;
    const k = `${r.model}\u0000${r.metadata.subject}`;
    const cell = cells.get(k) ?? { c: 0, n: 0 };
    cell.n++;
    m.n++;
    if (r.correct) {
      cell.c++;
      m.c++;
    }
    cells.set(k, cell);
  }
  return { cells, models };
}

const overall = (m: string) => independent.models.get(m)!.c / independent.models.get(m)!.n;
/** The 14 models by overall accuracy (correct / scored over the whole file), best first. */
const modelOrder = () => [...full].sort((a, b) => overall(b) - overall(a));

const analysis = async (body: object): Promise<AnalysisResponse> =>
  (await ctx.analysis.analyzeJson(AnalysisRequest.parse(body))).response;
const comparison = (body: object): Promise<CompareResponse> =>
  compare(ctx.analysis, CompareRequest.parse(body));

const parse = (svg: string) => new DOMParser().parseFromString(svg, 'image/svg+xml');
const marks = (svg: string, label: string, tag: string) => [
  ...parse(svg).querySelectorAll(`g[aria-label="${label}"] ${tag}`),
];
type El = ReturnType<typeof marks>[number];
/** The text shown (Plot adds the full text of a shortened label as a <title> child). */
const shown = (el: El) =>
  [...el.childNodes]
    .filter((n) => n.nodeType === 3)
    .map((n) => n.textContent)
    .join('');
/** translate(x,y) of an element's transform. */
const at = (el: El): [number, number] => {
  const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(el.getAttribute('transform') ?? '');
  if (!m) throw new Error(`no translate in ${el.outerHTML}`);
  return [Number(m[1]), Number(m[2])];
};
/** A label Plot shortened with an ellipsis still shows the start and end of the full name. */
const shows = (shown: string, full: string) => {
  if (shown === full) return true;
  const [head, tail, ...rest] = shown.split('…');
  return rest.length === 0 && tail !== undefined && full.startsWith(head!) && full.endsWith(tail);
};
const save = (name: string, chart: { svg: string; png: Uint8Array }) => {
  writeFileSync(join(OUT, `${name}.svg`), chart.svg);
  writeFileSync(join(OUT, `${name}.png`), chart.png);
};

let full: string[];
let bySubject: AnalysisResponse;
const independent = demoAccuracy();

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  ctx = await openContext(loadConfig({ DUCKDB_PATH: join(tmp.dir, 'c.duckdb'), DEMO_DATA: 'off' }), {
    mirrorLoop: false,
  });
  await importFile(ctx.record, DEMO, { format: 'canonical' });
  await ctx.record.ingest(koreanRecords());
  // the 14 models with all 5,700 MMLU-Redux 2.0 results (the others have 3,000)
  const most = Math.max(...[...independent.models.values()].map((m) => m.results));
  full = [...independent.models].filter(([, m]) => m.results === most).map(([name]) => name);
  bySubject = await analysis({ benchmark: 'mmlu-redux', levels: ['subject'], models: full });
}, 180_000);
afterAll(async () => {
  await ctx?.close();
  tmp.cleanup();
});

describe('accuracyHeatmap', () => {
  it('14 models × 57 subjects: a cell per row, the values and the model order of an independent count', () => {
    expect(full.length).toBe(14);
    expect(bySubject.rows.length).toBe(14 * 57);
    const chart = renderChart(accuracyHeatmap(bySubject), 'MMLU-Redux: accuracy by subject');
    save('heatmap', chart);
    expect(marks(chart.svg, 'cell', 'rect').length).toBe(bySubject.rows.length);

    const order = modelOrder();
    const xTicks = marks(chart.svg, 'x-axis tick label', 'text');
    expect(xTicks.length).toBe(14);
    expect(xTicks.map(shown).filter((t, i) => !shows(t, order[i]!))).toEqual([]);
    const yTicks = marks(chart.svg, 'y-axis tick label', 'text');
    const subjects = [...new Set(bySubject.rows.map((r) => r.groups.subject as string))];
    expect(yTicks.map(shown).filter((t, i) => !shows(t, subjects[i]!))).toEqual([]);

    // every cell's text is its (model, subject) accuracy, found by position under the axes' ticks
    const xs = xTicks.map((t) => at(t)[0]);
    const ys = yTicks.map((t) => at(t)[1]);
    const nearest = (v: number, list: number[]) =>
      list.reduce((best, p, i) => (Math.abs(p - v) < Math.abs(list[best]! - v) ? i : best), 0);
    const texts = marks(chart.svg, 'text', 'text');
    expect(texts.length).toBe(bySubject.rows.length);
    for (const t of texts) {
      const [x, y] = at(t);
      const model = order[nearest(x, xs)]!;
      const subject = subjects[nearest(y, ys)]!;
      const cell = independent.cells.get(`${model}\u0000${subject}`)!;
      expect(t.textContent, `${model} / ${subject}`).toBe(`${((100 * cell.c) / cell.n).toFixed(0)}%`);
    }
  });

  it('is one standalone SVG with the legend inside, in the bundled font, that resvg renders', () => {
    const svg = renderSvg(accuracyHeatmap(bySubject));
    expect(svg.match(/<svg/g)?.length).toBe(1);
    const root = parse(svg).documentElement;
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    const w = Number(root.getAttribute('width'));
    const h = Number(root.getAttribute('height'));
    expect(root.getAttribute('viewBox')).toBe(`0 0 ${w} ${h}`);
    expect(svg).not.toContain('system-ui');
    expect(root.getAttribute('font-family')).toBe('Pretendard');
    // the binned legend: ten swatches and its label, above the chart
    const legend = root.querySelector('g[transform="translate(0,0)"]')!;
    expect(legend.querySelectorAll('rect').length).toBe(10);
    expect(legend.textContent).toContain('accuracy');
    const image = rasterize(svg, { scale: 1 });
    expect([image.width, image.height]).toEqual([w, h]);
  });

  it('Korean model and subject names: exact accuracies, names in the SVG, a grey cell without scored items', async () => {
    const answer = await analysis({ benchmark: 'ko-bench', levels: ['subject'] });
    const chart = renderChart(accuracyHeatmap(answer), '한국어');
    save('heatmap-korean', chart);
    const texts = marks(chart.svg, 'text', 'text').map((t) => t.textContent);
    const want = Object.values(KO).flatMap((s) => Object.values(s).map((c) => `${(100 * c) / 4}%`));
    expect(texts.sort()).toEqual([...want, '–'].sort());
    const cells = marks(chart.svg, 'cell', 'rect');
    expect(cells.length).toBe(5);
    expect(cells.filter((c) => c.getAttribute('fill') === null).length).toBe(1);
    expect(marks(chart.svg, 'x-axis tick label', 'text').map((t) => t.textContent)).toEqual([
      'model-b', // 6/8 beats 4/8
      '한국어-모델',
    ]);
    // subjects in the field's order (text: by code point)
    expect(marks(chart.svg, 'y-axis tick label', 'text').map((t) => t.textContent)).toEqual([
      '과학',
      '국어',
      '수학',
    ]);
  });

  it('an answer without the accuracy measure says so instead of drawing nothing', async () => {
    const answer = await analysis({ benchmark: 'ko-bench', levels: ['subject'], measures: ['n'] });
    expect(answer.rows.length).toBe(5);
    for (const spec of [accuracyHeatmap(answer), accuracyIntervals(answer)]) {
      expect(parse(renderSvg(spec)).documentElement.textContent).toContain(
        'No accuracy in this answer (not among the measures asked for)',
      );
    }
  });
});

describe('accuracyIntervals', () => {
  it('by subject: a panel per model, a dot and a whisker per row', () => {
    const chart = renderChart(accuracyIntervals(bySubject), 'intervals');
    save('intervals', chart);
    expect(marks(chart.svg, 'dot', 'circle').length).toBe(
      bySubject.rows.filter((r) => r.accuracy !== null).length,
    );
    expect(marks(chart.svg, 'rule', 'line').length).toBe(
      bySubject.rows.filter((r) => r.ci95 !== null).length,
    );
    expect(parse(chart.svg).querySelectorAll('g[aria-label="frame"] rect').length).toBe(14);
    // each panel is headed by its model
    const headings = [...parse(chart.svg).querySelectorAll('g[aria-label="text"][font-weight="bold"] text')];
    expect(headings.map(shown).filter((h, i) => !shows(h, modelOrder()[i]!))).toEqual([]);
  });

  it('levels []: one row per model, best first, dot at the accuracy, whisker at the ci95 bounds', async () => {
    const answer = await analysis({ benchmark: 'mmlu-redux', levels: [], models: full });
    const chart = renderChart(accuracyIntervals(answer), 'overall');
    save('intervals-overall', chart);
    const order = modelOrder();
    const labels = marks(chart.svg, 'y-axis tick label', 'text');
    expect(labels.length).toBe(14);
    expect(labels.map(shown).filter((l, i) => !shows(l, order[i]!))).toEqual([]);
    // the x scale read off the (top) axis: where 0 and 100 % are drawn
    const ticks = new Map(
      marks(chart.svg, 'x-axis tick label', 'text').map((t) => [t.textContent, at(t)[0]]),
    );
    const x = (v: number) => ticks.get('0')! + (ticks.get('100')! - ticks.get('0')!) * v;
    const dots = marks(chart.svg, 'dot', 'circle');
    const rules = marks(chart.svg, 'rule', 'line');
    expect([dots.length, rules.length]).toEqual([14, 14]);
    const near = (el: El, attr: string, v: number) => Math.abs(Number(el.getAttribute(attr)) - v) < 0.5;
    order.forEach((m, i) => {
      const row = answer.rows.find((r) => r.model === m)!;
      expect(row.accuracy!).toBeCloseTo(overall(m), 12);
      const y = at(labels[i]!)[1];
      expect(
        dots.some((d) => near(d, 'cy', y) && near(d, 'cx', x(row.accuracy!))),
        m,
      ).toBe(true);
      expect(
        rules.some(
          (l) => near(l, 'y1', y) && near(l, 'x1', x(row.ci95![0])) && near(l, 'x2', x(row.ci95![1])),
        ),
        m,
      ).toBe(true);
    });
  });
});

describe('compareForest', () => {
  it('two models by category: a dot per row, significant rows red, p_adjusted beside each row', async () => {
    const answer = await comparison({
      benchmark: 'mmlu-redux',
      levels: ['category'],
      models: full.slice(0, 2),
    });
    expect(answer.rows.length).toBe(5);
    const chart = renderChart(compareForest(answer), 'compare');
    save('forest', chart);
    const dots = marks(chart.svg, 'dot', 'circle');
    expect(dots.length).toBe(answer.rows.filter((r) => r.diff !== null).length);
    const red = dots.filter((d) => d.getAttribute('fill') === '#c0392b');
    expect(red.length).toBe(answer.rows.filter((r) => r.significant).length);
    expect(marks(chart.svg, 'rule', 'line').length).toBe(
      answer.rows.filter((r) => r.ci95 !== null).length + 1,
    );
    const notes = marks(chart.svg, 'text', 'text').map((t) => t.textContent);
    for (const r of answer.rows) {
      const p = r.p_adjusted!;
      expect(notes).toContain(`p_adj ${p < 0.0001 ? '< 0.0001' : p.toFixed(4)}${r.significant ? ' *' : ''}`);
    }
  });

  it('13 models against a baseline by subject: a panel per model, a dot per row', async () => {
    const answer = await comparison({
      benchmark: 'mmlu-redux',
      levels: ['subject'],
      models: full,
      baseline: full[0],
      bayes: false,
    });
    expect(answer.rows.length).toBe(13 * 58);
    const chart = renderChart(compareForest(answer), 'compare');
    save('forest-panels', chart);
    expect(marks(chart.svg, 'dot', 'circle').length).toBe(answer.rows.filter((r) => r.diff !== null).length);
    expect(parse(chart.svg).querySelectorAll('g[aria-label="frame"] rect').length).toBe(13);
  });
});

describe('empty answers', () => {
  it('a filter that matches nothing gives a chart that says so', async () => {
    const answer = await analysis({
      benchmark: 'mmlu-redux',
      levels: ['subject'],
      filters: { subject: ['no_such_subject'] },
    });
    expect(answer.rows).toEqual([]);
    for (const spec of [accuracyHeatmap(answer), accuracyIntervals(answer)]) {
      const svg = renderSvg(spec);
      expect(parse(svg).documentElement.textContent).toContain('No rows in this answer');
      expect(rasterize(svg).width).toBeGreaterThan(0);
    }
    const none = await comparison({ benchmark: 'mmlu-redux', models: full.slice(0, 2) });
    const svg = renderSvg(compareForest({ ...none, rows: [] }));
    expect(parse(svg).documentElement.textContent).toContain('No rows in this answer');
  });
});
