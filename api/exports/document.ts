/**
 * What every export format writes: a format-neutral document of tables, charts and provenance, built once per
 * export from the answer of the endpoint the export names (build.ts). The writers (csv, json, arrow, parquet,
 * xlsx, pdf) only lay it out; which columns exist and how they are formatted comes from the measures catalogue
 * (api/analysis/measures.ts) and the schema (store/schema.ts), so a new measure reaches every format unchanged.
 */

export const EXPORT_KINDS = ['analysis', 'compare', 'items', 'summary', 'results'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_FORMATS = ['xlsx', 'pdf', 'csv', 'parquet', 'arrow', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * How a column's values are shown. `share`: a proportion in [0, 1] shown as a percent (accuracy, bounds);
 * `signed_share`: a difference of proportions (shown as a signed percent); `pvalue`: a probability shown with
 * 4 decimals (or < 0.0001); `count`: an integer; `number`: a real; `ms`, `tokens`, `usd`: units; `text`, `boolean`.
 */
export type ColumnFormat =
  | 'text'
  | 'boolean'
  | 'count'
  | 'number'
  | 'share'
  | 'signed_share'
  | 'pvalue'
  | 'ms'
  | 'tokens'
  | 'usd';

export interface Column {
  /** Machine name: the CSV/Parquet/Arrow header and the JSON key (unique within its table). */
  key: string;
  /** Human header for xlsx and pdf. */
  label: string;
  format: ColumnFormat;
  /** One line, from the catalogue; xlsx shows it as the header's note, pdf in the method notes. */
  description?: string;
}

export type Cell = string | number | boolean | null;

export interface Table {
  /** Short name: the xlsx sheet name (≤ 31 chars, no []:*?/\), the CSV/Parquet file's stem. */
  name: string;
  title: string;
  columns: Column[];
  rows: Cell[][];
  /** The first `keyColumns` columns identify a row (model, group values): frozen in xlsx, repeated in pdf. */
  keyColumns: number;
  /** Per row: a total row to mark (bold, shaded) or null. Same length as rows when present. */
  marks?: ('micro' | 'macro' | 'overall' | null)[];
}

/** A matrix (rows × columns of one share measure), e.g. models × Level1 accuracy: the xlsx color-scale sheet. */
export interface Matrix {
  name: string;
  title: string;
  rowLabel: string;
  rows: string[];
  columns: string[];
  /** values[i][j]: rows[i] × columns[j]; null where there is no value. */
  values: (number | null)[][];
  format: ColumnFormat;
}

/** A chart rendered from the answer by charts/ (the same Plot specifications the dashboards draw). */
export interface Chart {
  title: string;
  /** The table (by name) the chart illustrates: the pdf draws it above that table. Absent: the first table. */
  table?: string;
  /** A standalone SVG document (vector: the pdf draws it). */
  svg: string;
  /** The same chart as PNG (the xlsx image), rendered from the svg; only for the formats that show images. */
  png?: Uint8Array;
  width: number;
  height: number;
}

/**
 * Data for a native (editable) spreadsheet chart: one bar per category with error bars. The xlsx writer adds
 * it as a chart part that Excel and LibreOffice open as a chart (exceljs writes no charts).
 */
export interface NativeChart {
  title: string;
  /** The table (by name) whose rows the chart reads, and its columns by key. */
  table: string;
  category: string;
  value: string;
  low: string;
  high: string;
  /** Rows of that table the chart covers: [first, last] indices into table.rows (inclusive). */
  rows: [number, number];
}

export interface Provenance {
  kind: ExportKind;
  format: ExportFormat;
  /** The query exactly as sent (before defaults), so the export can be re-run. */
  query: unknown;
  api_version: string;
  data_version: string;
  engine: 'duckdb' | 'mysql';
  generated_at: string;
  /** Method notes, name → one paragraph (item weighting, Wilson interval, micro/macro, correction, ...). */
  methods: Record<string, string>;
}

export interface ExportDocument {
  kind: ExportKind;
  /** e.g. "MMLU-Redux: accuracy by subject". */
  title: string;
  /** e.g. "14 models · 57 groups · data version 12". */
  subtitle: string;
  /** Stem of the file name (already safe: [A-Za-z0-9._-]), e.g. "mmlu-redux_analysis_subject_2026-12-01". */
  fileStem: string;
  provenance: Provenance;
  /** The first table is the main answer. */
  tables: Table[];
  matrix?: Matrix;
  charts: Chart[];
  nativeCharts: NativeChart[];
  /** The answer as its endpoint gives it (the json format writes it, with the provenance beside). */
  answer?: unknown;
}
