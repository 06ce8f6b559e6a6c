import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writePdf } from '../api/exports/pdf.ts';
import { reportDocument } from '../test/exports/pdf-document.ts';

/**
 * The PDF report of a generated 14-model × 57-subject document (the integration test's): wall time, CPU time
 * (the machine is shared, so wall time alone says more about the neighbours), size, and the longest time the
 * event loop was held (monitorEventLoopDelay's max, 1 ms resolution).
 *   npx tsx perf/pdf.ts [--models 14] [--subjects 57] [--runs 5]
 */
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '14' },
    subjects: { type: 'string', default: '57' },
    runs: { type: 'string', default: '5' },
  },
});
const doc = reportDocument(Number(values.models), Number(values.subjects));
const rows = doc.tables.reduce((n, t) => n + t.rows.length, 0);
console.log(
  `${values.models} models × ${values.subjects} subjects: ${rows} table rows, ${doc.charts.length} charts`,
);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} cores`,
);
for (let i = 0; i < Number(values.runs); i++) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const t = performance.now();
  const pdf = await writePdf(doc);
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  delay.disable();
  console.log(
    `run ${i + 1}: ${wall.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU, ` +
      `${(pdf.length / 1024).toFixed(1)} KiB, event loop held at most ${(delay.max / 1e6).toFixed(0)} ms`,
  );
}
