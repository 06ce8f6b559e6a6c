/**
 * The xlsx writer's speed and the streaming writer's memory, on the synthetic export document of the tests
 * (test/exports/sample-document.ts: Korean names, formula-like text, nulls, 2 PNG charts, a native chart).
 *
 *   npx tsx perf/exports-xlsx.ts [--models 14] [--subjects 57] [--reps 9] [--stream-rows 1000000]
 *
 * (a) writeXlsx of models × (subjects + 2) rows + a models × Level1 matrix + 2 images + 1 native chart:
 *     median and min of --reps runs after one warm-up, and the file's size (target of issue 17: ≤ 1 s);
 * (b) writeXlsxStream of --stream-rows rows into a file: rows/s, and RSS after 100k rows, at the end and its
 *     peak (sampled every 10k rows): flat memory means the end is close to the 100k figure.
 * Files go to perf/out/.
 */
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Cell } from '../api/exports/document.ts';
import { writeXlsx, writeXlsxStream } from '../api/exports/xlsx.ts';
import { sampleDocument } from '../test/exports/sample-document.ts';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '14' },
    subjects: { type: 'string', default: '57' },
    reps: { type: 'string', default: '9' },
    'stream-rows': { type: 'string', default: '1000000' },
  },
});
const out = new URL('./out/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

const doc = sampleDocument(Number(values.models), Number(values.subjects));
await writeXlsx(doc);
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < Number(values.reps); i++) {
  const t = performance.now();
  bytes = (await writeXlsx(doc)).length;
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(
  `(a) writeXlsx ${doc.tables[0]!.rows.length} + ${doc.tables[1]!.rows.length} rows, matrix, ${doc.charts.length} images, ` +
    `${doc.nativeCharts.length} native chart: median ${times[times.length >> 1]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, ${bytes} bytes`,
);

const n = Number(values['stream-rows']);
const table = doc.tables[0]!;
const { rows: _rows, marks: _marks, ...shape } = table;
let rss100k = 0;
let peak = 0;
async function* rows(): AsyncIterable<Cell[]> {
  for (let i = 0; i < n; i++) {
    if (i % 10_000 === 0) {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      if (i === 100_000) rss100k = rss;
    }
    const base = table.rows[i % table.rows.length]!;
    yield [base[0]!, base[1]!, i, ...base.slice(3)];
  }
}
const file = `${out}results-stream.xlsx`;
const stream = createWriteStream(file);
const done = finished(stream);
const t = performance.now();
await writeXlsxStream({ ...doc, table: shape }, rows(), stream);
await done;
const s = (performance.now() - t) / 1000;
const end = process.memoryUsage().rss;
console.log(
  `(b) writeXlsxStream ${n} rows: ${s.toFixed(1)} s, ${Math.round(n / s)} rows/s, ${mb(statSync(file).size)} file; ` +
    `RSS at 100k rows ${rss100k ? mb(rss100k) : 'n/a (fewer rows)'}, at the end ${mb(end)}, peak ${mb(Math.max(peak, end))}`,
);
