import { tableToArrowIpc } from '../exports/arrow.ts';
import { analysisTable } from '../exports/tables.ts';
import { MEASURE_NAMES, type MeasureName } from './measures.ts';
import type { AnalysisResponse } from './service.ts';

/**
 * The rows as an Arrow IPC stream, with the columns every export has (exports/tables.ts): model, one column per
 * level (named after the field; `level_<name>` if that collides with a measure), then the selected measures,
 * an interval as <name>_low and <name>_high, pass@k / maj@k as <k> and <k>_stderr.
 */
export function toArrowIpc(
  res: AnalysisResponse,
  selected: readonly MeasureName[] = MEASURE_NAMES,
): Uint8Array {
  const t = analysisTable(res, selected);
  return tableToArrowIpc(t.columns, t.rows);
}
