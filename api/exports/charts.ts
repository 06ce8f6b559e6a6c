import { renderChartAsync } from '../../charts/server.ts';
import { accuracyHeatmap, accuracyIntervals, compareForest } from '../../charts/specs.ts';
import type { ExportAnswers } from './build.ts';
import type { Chart, ExportDocument } from './document.ts';

/**
 * The charts of an export, drawn from the answers by the Plot specifications the dashboards use (charts/) and
 * rendered on the server: SVG for the pdf, PNG (off the event loop) for the workbook. Each names the table it
 * illustrates, so the pdf draws it above that table.
 */
export async function renderExportCharts(doc: ExportDocument, answers: ExportAnswers): Promise<Chart[]> {
  const out: Chart[] = [];
  const tables = new Set(doc.tables.map((t) => t.name));
  if (answers.byLevel1 && answers.byLevel1.levels.length > 0) {
    const level = answers.byLevel1.levels[0]!;
    const chart = await renderChartAsync(accuracyHeatmap(answers.byLevel1), `accuracy: models × ${level}`);
    out.push({ ...chart, table: tables.has('analysis') ? 'analysis' : doc.tables[0]!.name });
  }
  if (answers.overall) {
    const chart = await renderChartAsync(
      accuracyIntervals(answers.overall),
      'accuracy per model with 95 % interval',
    );
    out.push({ ...chart, table: 'models' });
  }
  if (answers.compare) {
    const c = answers.compare;
    const chart = await renderChartAsync(
      compareForest(c),
      `difference to ${c.baseline} with 95 % interval (significant after ${c.correction} marked)`,
    );
    out.push({ ...chart, table: 'compare' });
  }
  return out;
}
