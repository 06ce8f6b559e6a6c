/**
 * A synthetic export document with everything the writers must survive: Korean names, text that a spreadsheet
 * would take for a formula ("=1+1", "-x"), negative numbers, nulls, micro/macro total rows, a matrix, Plot-like
 * PNG charts and a native chart. Deterministic (a seeded generator), so tests can recompute what they expect.
 */
import { Resvg } from '@resvg/resvg-js';
import type { Cell, Chart, Column, ExportDocument, Table } from '../../api/exports/document.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const MODEL_NAMES = [
  'gpt-4o',
  '클로드-3.5',
  '=1+1',
  '-x',
  'llama-3.1-70b',
  '제미니-프로',
  'qwen-2.5',
  'mistral-large',
];
const SUBJECT_NAMES = ['한국사', 'abstract_algebra', '@home', 'anatomy', '+plus', 'astronomy', '경제학'];

export const BY_SUBJECT_COLUMNS: Column[] = [
  { key: 'model', label: 'Model', format: 'text', description: 'model name as registered' },
  { key: 'subject', label: 'Subject', format: 'text', description: 'Level 1 metadata value' },
  { key: 'n', label: 'Items', format: 'count', description: 'items scored' },
  { key: 'accuracy', label: 'Accuracy', format: 'share', description: 'share of items answered correctly' },
  { key: 'low', label: '95% low', format: 'share', description: 'Wilson interval, lower bound' },
  { key: 'high', label: '95% high', format: 'share', description: 'Wilson interval, upper bound' },
  {
    key: 'diff',
    label: 'vs. mean',
    format: 'signed_share',
    description: 'accuracy minus the mean of all models',
  },
  { key: 'p', label: 'p-value', format: 'pvalue', description: 'two-sided binomial test against the mean' },
  { key: 'latency', label: 'Latency (ms)', format: 'ms', description: 'median latency' },
  { key: 'cost', label: 'Cost', format: 'usd', description: 'summed cost in US dollars' },
  { key: 'tokens', label: 'Tokens', format: 'tokens', description: 'completion tokens, summed' },
  { key: 'score', label: 'Mean score', format: 'number', description: 'mean score' },
  { key: 'note', label: 'Note', format: 'text' },
  { key: 'flag', label: 'Below mean', format: 'boolean' },
];

export const MODEL_COLUMNS: Column[] = [
  { key: 'model', label: 'Model', format: 'text' },
  { key: 'n', label: 'Items', format: 'count' },
  { key: 'accuracy', label: 'Accuracy', format: 'share', description: 'micro accuracy over all items' },
  { key: 'low', label: '95% low', format: 'share' },
  { key: 'high', label: '95% high', format: 'share' },
];

function png(title: string, width: number, height: number): Chart {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="100%" height="100%" fill="white"/><rect x="40" y="40" width="${width / 3}" height="${height / 2}" fill="steelblue"/></svg>`;
  return { title, svg, png: new Resvg(svg).render().asPng(), width, height };
}

export function modelName(i: number): string {
  return MODEL_NAMES[i] ?? `model-${i + 1}`;
}

export function subjectName(j: number): string {
  return SUBJECT_NAMES[j] ?? `subject_${String(j + 1).padStart(2, '0')}`;
}

/** `models` × `subjects` rows, and per model a micro and a macro total row (models × (subjects + 2) rows). */
export function sampleDocument(models: number, subjects: number, seed = 17): ExportDocument {
  const rand = lcg(seed);
  const rows: Cell[][] = [];
  const marks: ('micro' | 'macro' | 'overall' | null)[] = [];
  const modelRows: Cell[][] = [];
  const level1 = ['STEM', '인문학', 'Social sciences', 'Other'];
  const matrix: (number | null)[][] = [];
  for (let i = 0; i < models; i++) {
    let correct = 0;
    let items = 0;
    const accs: number[] = [];
    const perLevel = level1.map(() => ({ c: 0, n: 0 }));
    for (let j = 0; j < subjects; j++) {
      const n = 20 + Math.floor(rand() * 300);
      const c = Math.floor(rand() * (n + 1));
      const acc = c / n;
      const half = 1.96 * Math.sqrt((acc * (1 - acc)) / n) + 0.01;
      correct += c;
      items += n;
      accs.push(acc);
      const lv = perLevel[j % level1.length]!;
      lv.c += c;
      lv.n += n;
      rows.push([
        modelName(i),
        subjectName(j),
        n,
        acc,
        Math.max(0, acc - half),
        Math.min(1, acc + half),
        acc - 0.5,
        j % 5 === 0 ? null : rand() / 10 ** Math.floor(rand() * 6),
        j % 7 === 3 ? null : Math.round(200 + rand() * 3000),
        Math.round(rand() * 1e6) / 1e6,
        Math.floor(rand() * 200000),
        -1 + 2 * rand(),
        j % 4 === 0 ? '=1+1' : j % 4 === 1 ? '-x' : j % 4 === 2 ? '설명: 한국어 메모' : null,
        acc < 0.5,
      ]);
      marks.push(null);
    }
    const micro = correct / items;
    const macro = accs.reduce((a, b) => a + b, 0) / Math.max(1, accs.length);
    for (const [kind, acc] of [
      ['micro', micro],
      ['macro', macro],
    ] as const) {
      rows.push([
        modelName(i),
        kind === 'micro' ? 'All (micro)' : 'All (macro)',
        items,
        acc,
        acc - 0.02,
        acc + 0.02,
        acc - 0.5,
        null,
        null,
        null,
        null,
        null,
        null,
        acc < 0.5,
      ]);
      marks.push(kind);
    }
    modelRows.push([modelName(i), items, micro, Math.max(0, micro - 0.015), Math.min(1, micro + 0.015)]);
    matrix.push(perLevel.map((l) => (l.n ? l.c / l.n : null)));
  }
  matrix[0]![1] = null; // a hole: no value for one cell of the matrix
  const bySubject: Table = {
    name: 'By subject',
    title: 'Accuracy by model and subject',
    columns: BY_SUBJECT_COLUMNS,
    rows,
    keyColumns: 2,
    marks,
  };
  const byModel: Table = {
    name: 'Models',
    title: 'Accuracy by model',
    columns: MODEL_COLUMNS,
    rows: modelRows,
    keyColumns: 1,
  };
  return {
    kind: 'analysis',
    title: 'MMLU-Redux: accuracy by subject',
    subtitle: `${models} models · ${subjects} groups · data version 12`,
    fileStem: 'mmlu-redux_analysis_subject_2026-12-01',
    provenance: {
      kind: 'analysis',
      format: 'xlsx',
      query: {
        benchmark: 'mmlu-redux',
        levels: ['subject'],
        models: MODEL_NAMES.slice(0, models),
        filters: { 과목: ['한국사'] },
      },
      api_version: '0.1.0',
      data_version: '12',
      engine: 'duckdb',
      generated_at: '2026-12-01T11:00:00.000Z',
      methods: {
        'Item weighting': 'Every item weighs 1; samples of an item are averaged first.',
        'Wilson interval':
          '95 % score interval of a binomial proportion (Wilson 1927), never outside [0, 1].',
        'Micro and macro': 'Micro pools all items; macro averages the groups equally.',
      },
    },
    tables: [bySubject, byModel],
    matrix: {
      name: 'Matrix',
      title: 'Accuracy: model × Level1',
      rowLabel: 'Model',
      rows: modelRows.map((r) => r[0] as string),
      columns: level1,
      values: matrix,
      format: 'share',
    },
    charts: [png('Accuracy by model (95% interval)', 640, 360), png('Accuracy heatmap', 720, 400)],
    nativeCharts: [
      {
        title: 'Accuracy per model (95% interval)',
        table: 'Models',
        category: 'model',
        value: 'accuracy',
        low: 'low',
        high: 'high',
        rows: [0, models - 1],
      },
    ],
  };
}
