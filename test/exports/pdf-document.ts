import type { Cell, Chart, Column, ExportDocument, Table } from '../../api/exports/document.ts';
import { FONT_FAMILY } from '../../charts/fonts.ts';

/**
 * A report-sized export document built here, not by the builder: 14 models × 57 subjects with Korean names,
 * micro and macro total rows per model, every column format, and two charts whose SVG has Korean text.
 */
export const KOREAN_MODEL = '한국어-모델';
export const KOREAN_SUBJECT = '수학';
export const CHART_NOTE = '출처: 평가 결과';

const SUBJECT_NAMES = [
  KOREAN_SUBJECT,
  '물리학',
  '한국사',
  'high_school_european_history',
  'abstract_algebra',
  'college_medicine',
];

/** A seeded generator, so that a failure can be reproduced. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Wilson score interval (z = 1.96), the textbook formula. */
export function wilson(p: number, n: number): [number, number] {
  const z = 1.959964;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [c - h, c + h];
}

export const COLUMNS: Column[] = [
  { key: 'model', label: 'model', format: 'text' },
  { key: 'subject', label: 'subject', format: 'text' },
  { key: 'n', label: 'n', format: 'count', description: 'scored samples' },
  { key: 'correct', label: 'correct', format: 'count', description: 'correct samples' },
  { key: 'accuracy', label: 'accuracy', format: 'share', description: 'mean over items' },
  { key: 'ci95_low', label: 'ci95 low', format: 'share', description: 'Wilson interval, low' },
  { key: 'ci95_high', label: 'ci95 high', format: 'share', description: 'Wilson interval, high' },
  { key: 'diff', label: 'vs best', format: 'signed_share', description: 'accuracy minus the best model' },
  { key: 'p', label: 'p', format: 'pvalue', description: 'two-sided p of the difference' },
  { key: 'stderr', label: 'stderr', format: 'number', description: 'standard error of accuracy' },
  { key: 'latency_ms_p50', label: 'latency p50 ms', format: 'ms', description: 'median latency' },
  { key: 'tokens_in', label: 'tokens in', format: 'tokens', description: 'prompt tokens, summed' },
  { key: 'cost_usd', label: 'cost', format: 'usd', description: 'cost in USD' },
  { key: 'n_samples', label: 'samples', format: 'count', description: 'result rows' },
  { key: 'refused', label: 'refused', format: 'boolean', description: 'any refusal' },
];

export function models(count = 14): string[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? KOREAN_MODEL : `model-${String(i).padStart(2, '0')}`,
  );
}
export function subjects(count = 57): string[] {
  return Array.from({ length: count }, (_, i) => SUBJECT_NAMES[i] ?? `subject_${String(i).padStart(2, '0')}`);
}

function row(model: string, subject: string | null, n: number, correct: number, rnd: () => number): Cell[] {
  const acc = correct / n;
  const [lo, hi] = wilson(acc, n);
  const p = rnd() < 0.2 ? rnd() * 1e-5 : rnd();
  return [
    model,
    subject,
    n,
    correct,
    acc,
    lo,
    hi,
    (rnd() - 0.6) * 0.3,
    p,
    Math.sqrt((acc * (1 - acc)) / n),
    Math.round(200 + rnd() * 4000),
    Math.round(rnd() * 3_000_000),
    rnd() * 40,
    n + Math.round(rnd() * 5),
    rnd() < 0.1,
  ];
}

export function mainTable(modelCount = 14, subjectCount = 57): Table {
  const rnd = lcg(17);
  const rows: Cell[][] = [];
  const marks: ('micro' | 'macro' | null)[] = [];
  for (const m of models(modelCount)) {
    let n = 0;
    let correct = 0;
    let accSum = 0;
    for (const s of subjects(subjectCount)) {
      const ns = 100 + Math.floor(rnd() * 1700);
      const cs = Math.floor(ns * (0.3 + rnd() * 0.65));
      rows.push(row(m, s, ns, cs, rnd));
      marks.push(null);
      n += ns;
      correct += cs;
      accSum += cs / ns;
    }
    rows.push(row(m, null, n, correct, rnd));
    marks.push('micro');
    const macro = row(m, null, n, correct, rnd);
    macro[4] = accSum / subjectCount;
    rows.push(macro);
    marks.push('macro');
  }
  return { name: 'by_subject', title: 'Accuracy by subject', columns: COLUMNS, rows, keyColumns: 2, marks };
}

export function modelTable(main: Table): Table {
  const micro = main.rows.filter((_, i) => main.marks?.[i] === 'micro');
  return {
    name: 'by_model',
    title: 'Accuracy by model',
    columns: [COLUMNS[0]!, COLUMNS[2]!, COLUMNS[4]!, COLUMNS[5]!, COLUMNS[6]!],
    rows: micro.map((r) => [r[0]!, r[2]!, r[4]!, r[5]!, r[6]!]),
    keyColumns: 1,
  };
}

/** A small chart as Plot would draw it: bars and labels, Korean among them. */
export function chartSvg(labels: string[], values: number[]): string {
  const w = 640;
  const h = 40 + 22 * labels.length;
  const bars = labels
    .map(
      (l, i) =>
        `<rect x="200" y="${20 + 22 * i}" width="${Math.round(400 * (values[i] ?? 0))}" height="16" fill="#4269d0"/>` +
        `<text x="190" y="${33 + 22 * i}" text-anchor="end" font-size="12">${l}</text>`,
    )
    .join('');
  // A label only the chart has, in currentColor as Plot draws its axes: found in the PDF text, it was drawn as text.
  const note = `<text x="${w - 10}" y="${h - 6}" text-anchor="end" font-size="10" font-weight="bold" fill="currentColor">${CHART_NOTE}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="${FONT_FAMILY}"><rect width="${w}" height="${h}" fill="white"/>${bars}${note}</svg>`
  );
}

export function chart(title: string, labels: string[], values: number[], table?: string): Chart {
  const svg = chartSvg(labels, values);
  const height = 40 + 22 * labels.length;
  return { title, svg, png: new Uint8Array(), width: 640, height, ...(table ? { table } : {}) };
}

export function reportDocument(modelCount = 14, subjectCount = 57): ExportDocument {
  const main = mainTable(modelCount, subjectCount);
  const byModel = modelTable(main);
  return {
    kind: 'analysis',
    title: 'MMLU-Redux: accuracy by subject',
    subtitle: `${modelCount} models · ${subjectCount} groups · data version 12`,
    fileStem: 'mmlu-redux_analysis_subject_2026-12-01',
    provenance: {
      kind: 'analysis',
      format: 'pdf',
      query: { benchmark: 'mmlu-redux', levels: ['subject'], models: models(modelCount), unscored: 'wrong' },
      api_version: '0.1.0',
      data_version: '12',
      engine: 'duckdb',
      generated_at: '2026-12-01T12:00:00.000Z',
      methods: {
        'Item weighting': 'Every item weighs 1: the samples of an item are averaged first.',
        'Wilson interval':
          'The 95 % interval of accuracy is the Wilson score interval (z = 1.959964) on items.',
        'Micro and macro': 'Micro pools the items of all groups; macro is the mean of the Level1 groups.',
      },
    },
    tables: [main, byModel],
    charts: [
      chart(
        `Accuracy of ${KOREAN_MODEL} by subject`,
        subjects(subjectCount).slice(0, 8),
        [0.6, 0.7, 0.5, 0.8, 0.4, 0.9, 0.3, 0.65],
      ),
      chart(
        'Accuracy by model',
        byModel.rows.map((r) => String(r[0])),
        byModel.rows.map((r) => Number(r[2])),
        'by_model',
      ),
    ],
    nativeCharts: [],
  };
}
