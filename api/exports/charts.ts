import type * as Plot from '@observablehq/plot';
import { renderPngAsync, renderSvgSized } from '../../charts/server.ts';
import { accuracyHeatmap, accuracyIntervals, compareForest } from '../../charts/specs.ts';
import type { ExportAnswers } from './build.ts';
import type { Chart, ExportDocument } from './document.ts';

/** Heatmap cells beyond which the chart shows colours only (each value is a text to lay out: 1–3 ms). */
const MAX_VALUE_CELLS = 300;

/**
 * The charts of an export, drawn from the answers by the Plot specifications the dashboards use (charts/) and
 * rendered on the server: SVG for the pdf, PNG (off the event loop) for the workbook. Each names the table it
 * illustrates, so the pdf draws it above that table.
 */
export async function renderExportCharts(
  doc: ExportDocument,
  answers: ExportAnswers,
  format: 'xlsx' | 'pdf',
): Promise<Chart[]> {
  // the pdf draws the SVG; only the workbook needs the PNG (rasterised off the event loop)
  const renderChartAsync = async (spec: Plot.PlotOptions, title: string): Promise<Chart> => {
    const { svg, width, height } = renderSvgSized(spec);
    return { title, svg, width, height, ...(format === 'xlsx' ? { png: await renderPngAsync(svg) } : {}) };
  };
  const out: Chart[] = [];
  const tables = new Set(doc.tables.map((t) => t.name));
  // the workbook's matrix sheet is the heatmap already (its cells with a colour scale): the image would cost
  // most of the export's time (resvg lays out every label), so only the pdf draws it
  if (format === 'pdf' && answers.byLevel1 && answers.byLevel1.levels.length > 0) {
    const level = answers.byLevel1.levels[0]!;
    // the values in the cells only while they are few: the tables carry them all
    const cells = answers.byLevel1.rows.length;
    const chart = await renderChartAsync(
      accuracyHeatmap(answers.byLevel1, { values: cells <= MAX_VALUE_CELLS }),
      `accuracy: models × ${level}${cells > MAX_VALUE_CELLS ? ' (values in the matrix sheet and the tables)' : ''}`,
    );
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
