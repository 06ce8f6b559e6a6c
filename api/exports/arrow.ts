import {
  Bool,
  type DataType,
  Field,
  Float64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Cell, Column } from './document.ts';

/**
 * Tables as Arrow IPC streams: numbers (counts included) as Float64, booleans as Bool, the rest Utf8 — the
 * types pandas, polars and DuckDB read without a cast. The provenance goes in the schema's metadata.
 */
const arrowType = (c: Column): DataType =>
  c.format === 'text' ? new Utf8() : c.format === 'boolean' ? new Bool() : new Float64();

export function arrowSchema(columns: readonly Column[], metadata?: Record<string, string>): Schema {
  return new Schema(
    columns.map((c) => new Field(c.key, arrowType(c), true)),
    metadata ? new Map(Object.entries(metadata)) : undefined,
  );
}

/** One record batch of rows (row-major cells, in the schema's column order). */
export function recordBatch(schema: Schema, rows: readonly Cell[][]): RecordBatch {
  const children = schema.fields.map((f, j) => {
    const values = rows.map((r) => {
      const v = r[j] ?? null;
      if (v === null) return null;
      if (f.type instanceof Utf8) return String(v);
      if (f.type instanceof Bool) return Boolean(v);
      return typeof v === 'number' ? v : Number(v);
    });
    return vectorFromArray(values, f.type).data[0]!;
  });
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

/** A whole table as one Arrow IPC stream. */
export function tableToArrowIpc(
  columns: readonly Column[],
  rows: readonly Cell[][],
  metadata?: Record<string, string>,
): Uint8Array {
  const schema = arrowSchema(columns, metadata);
  const writer = new RecordBatchStreamWriter();
  writer.write(recordBatch(schema, rows));
  writer.finish();
  return writer.toUint8Array(true);
}
