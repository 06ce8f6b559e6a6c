import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { type Batch, CHUNK_ROWS, RowBuffer, type SlotKind, WIDTH } from './row-buffer.ts';

/**
 * Moving rows from MySQL to DuckDB without text: MySQL sends them over its binary protocol (a prepared
 * statement's `execute`: doubles and integers as their bytes, no server-side formatting, which cost the
 * CSV transport three quarters of its time), and each value is written into typed arrays laid out as
 * DuckDB's vectors are (validity bits included), copied into a data chunk a column at a time and appended.
 * No JS object per value: per row, only mysql2's array of its values.
 */

if (duckdb.vector_size() !== CHUNK_ROWS)
  throw new Error(`DuckDB's vector size is ${duckdb.vector_size()}, not ${CHUNK_ROWS}`);

const KIND: Partial<Record<DuckDBTypeId, [SlotKind, number]>> = {
  [DuckDBTypeId.BIGINT]: ['u32x2', 8],
  [DuckDBTypeId.INTEGER]: ['i32', 4],
  [DuckDBTypeId.TINYINT]: ['u8', 1],
  [DuckDBTypeId.UTINYINT]: ['u8', 1],
  [DuckDBTypeId.BOOLEAN]: ['bool', 1],
  [DuckDBTypeId.DOUBLE]: ['f64', 8],
  [DuckDBTypeId.VARCHAR]: ['str', 0],
};
/** A column of the target table: its value's source column, NULL, or the copy time. */
type Target = number | 'null' | 'now';

/**
 * Appends rows to a DuckDB table through its appender: a target column named in `sourceNames` takes that
 * source column, `created_at` the copy time when the source has none, any other column NULL.
 */
export class ChunkAppender {
  /** Per source column, its layout (what a RowBuffer filling it must use). */
  readonly kinds: SlotKind[];
  private readonly buffer: RowBuffer;
  private readonly noValid = new Uint8Array(CHUNK_ROWS / 8).buffer;
  private readonly stamp = new BigInt64Array(CHUNK_ROWS);
  rows = 0;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly types: ReturnType<DuckDBAppender['columnType']>[],
    private readonly targets: Target[],
    kinds: SlotKind[],
  ) {
    this.kinds = kinds;
    this.buffer = new RowBuffer(kinds, CHUNK_ROWS);
  }

  /** WARNING: `table` is the caller's constant (`results`, `items`, a temp stage), never input. */
  static async open(
    conn: DuckDBConnection,
    table: string,
    sourceNames: readonly string[],
    temp = false,
  ): Promise<ChunkAppender> {
    const reader = await conn.runAndReadAll(`SELECT * FROM ${temp ? 'temp.main.' : ''}${table} LIMIT 0`);
    const names = reader.columnNames();
    const appender = await conn.createAppender(table, 'main', temp ? 'temp' : null);
    const types = names.map((_, i) => appender.columnType(i));
    const kinds: SlotKind[] = new Array(sourceNames.length);
    const targets = names.map((name, i): Target => {
      const at = sourceNames.indexOf(name);
      if (at < 0) return name === 'created_at' ? 'now' : 'null';
      const kind = KIND[types[i]!.typeId];
      if (!kind) throw new Error(`the binary mirror copy has no layout for ${table}.${name} (${types[i]})`);
      kinds[at] = kind[0];
      return at;
    });
    if (kinds.some((k) => k === undefined)) throw new Error(`${table} lacks a column of ${sourceNames}`);
    return new ChunkAppender(appender, types, targets, kinds);
  }

  /** Buffers one row; appends a chunk when one is full. */
  add(row: readonly unknown[]): void {
    if (this.buffer.add(row)) this.append(this.buffer.take());
  }

  /** Appends a batch (from this appender's kinds), a data chunk per CHUNK_ROWS rows. */
  append(batch: Batch): void {
    const now = BigInt(Date.now()) * 1000n;
    this.stamp.fill(now);
    for (let off = 0; off < batch.n; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, batch.n - off);
      const chunk = DuckDBDataChunk.create(this.types, n);
      for (let c = 0; c < this.targets.length; c++) {
        const t = this.targets[c]!;
        const vec = duckdb.data_chunk_get_vector(chunk.chunk, c);
        if (t === 'null') {
          duckdb.vector_ensure_validity_writable(vec);
          duckdb.copy_data_to_vector_validity(vec, 0, this.noValid, 0, this.noValid.byteLength);
          continue;
        }
        if (t === 'now') {
          duckdb.copy_data_to_vector(vec, 0, this.stamp.buffer as ArrayBuffer, 0, 8 * n);
          continue;
        }
        const col = batch.columns[t]!;
        if (col.strings) {
          for (let j = 0; j < n; j++) {
            const s = col.strings[off + j];
            if (s !== null && s !== undefined) duckdb.vector_assign_string_element(vec, j, s);
          }
        } else {
          const w = WIDTH[this.kinds[t]!];
          duckdb.copy_data_to_vector(vec, 0, col.data!, off * w, n * w);
        }
        if (col.nulls > 0) {
          duckdb.vector_ensure_validity_writable(vec);
          duckdb.copy_data_to_vector_validity(vec, 0, col.valid, off / 8, CHUNK_ROWS / 8);
        }
      }
      this.appender.appendDataChunk(chunk);
    }
    this.rows += batch.n;
  }

  /** Appends what is buffered and closes the appender (its rows then belong to the connection's transaction). */
  close(): void {
    if (this.buffer.n > 0) this.append(this.buffer.take());
    this.appender.flushSync();
    this.appender.closeSync();
  }
}
