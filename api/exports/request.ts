/**
 * What POST /exports takes: its own module, light, so the route registers its schema without loading
 * the writers (exceljs, pdfkit, Plot, Arrow: a second of the server's start-up), which the first export loads.
 */
import { z } from 'zod';
import { EXPORT_FORMATS, EXPORT_KINDS } from './document.ts';

export const ExportRequest = z.strictObject({
  kind: z
    .enum(EXPORT_KINDS)
    .describe(
      'analysis (POST /analysis), compare (POST /compare), items (GET /benchmarks/{b}/items/analysis, with benchmark), summary (GET /analysis/summary), results (the stored per-item rows of a selection)',
    ),
  format: z.enum(EXPORT_FORMATS),
  query: z
    .unknown()
    .optional()
    .describe(
      "the body that kind's endpoint takes (same validation, same 400); results: benchmark, models, runs, filters, limit",
    ),
  bom: z.boolean().default(false).describe('csv: a UTF-8 byte order mark first (Excel on Windows)'),
  provenance_line: z
    .boolean()
    .default(true)
    .describe('csv: the first line is `# evalhouse {provenance JSON}` (skip 1 line when reading)'),
});
export type ExportRequest = z.infer<typeof ExportRequest>;
