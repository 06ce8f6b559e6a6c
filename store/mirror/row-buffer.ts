/**
 * Rows buffered column by column in typed arrays laid out as DuckDB's vectors are (store/mirror/binary.ts
 * copies them into data chunks): per value a typed-array write and, for a NULL, one bit cleared.
 */

/** How a source column's values are laid out: DuckDB's vector layout for its type. */
export type SlotKind = 'u32x2' | 'i32' | 'u8' | 'bool' | 'f64' | 'str';

/** DuckDB's rows per vector (STANDARD_VECTOR_SIZE; binary.ts checks it): a batch is whole chunks of it. */
export const CHUNK_ROWS = 2048;

export const WIDTH: Record<SlotKind, number> = { u32x2: 8, i32: 4, u8: 1, bool: 1, f64: 8, str: 0 };

/** One source column of a batch: its values' bytes (numbers) or strings, and validity bits (1 = valid). */
export interface BatchColumn {
  data: ArrayBuffer | null;
  strings: (string | null)[] | null;
  valid: ArrayBuffer;
  nulls: number;
}
/** Rows buffered column by column; `n` of the capacity are filled. */
export interface Batch {
  n: number;
  columns: BatchColumn[];
}

/** Buffers rows (arrays of values in source order) into typed arrays, `capacity` rows at a time. */
export class RowBuffer {
  private views: (Float64Array | Int32Array | Uint32Array | Uint8Array | null)[] = [];
  private bits: Uint8Array[] = [];
  private batch!: Batch;
  n = 0;

  /** `capacity` is rounded up to whole chunks. */
  constructor(
    private readonly kinds: readonly SlotKind[],
    readonly capacity: number,
  ) {
    this.capacity = Math.ceil(capacity / CHUNK_ROWS) * CHUNK_ROWS;
    this.reset();
  }

  private reset(): void {
    const cap = this.capacity;
    this.batch = {
      n: 0,
      columns: this.kinds.map((k) => ({
        data: k === 'str' ? null : new ArrayBuffer(WIDTH[k] * cap),
        strings: k === 'str' ? new Array<string | null>(cap).fill(null) : null,
        valid: new Uint8Array(cap / 8).fill(0xff).buffer,
        nulls: 0,
      })),
    };
    this.views = this.batch.columns.map((c, i) => {
      if (!c.data) return null;
      const k = this.kinds[i]!;
      return k === 'f64'
        ? new Float64Array(c.data)
        : k === 'i32'
          ? new Int32Array(c.data)
          : k === 'u32x2'
            ? new Uint32Array(c.data)
            : new Uint8Array(c.data);
    });
    this.bits = this.batch.columns.map((c) => new Uint8Array(c.valid));
    this.n = 0;
  }

  /** Buffers one row; true when the buffer is full (then `take` it). */
  add(row: readonly unknown[]): boolean {
    const j = this.n;
    const cols = this.batch.columns;
    for (let c = 0; c < cols.length; c++) {
      const v = row[c];
      const col = cols[c]!;
      if (v === null || v === undefined) {
        this.bits[c]![j >> 3]! &= ~(1 << (j & 7));
        col.nulls++;
        continue;
      }
      switch (this.kinds[c]) {
        case 'f64':
          (this.views[c] as Float64Array)[j] = v as number;
          break;
        case 'i32':
          (this.views[c] as Int32Array)[j] = v as number;
          break;
        case 'u8':
          (this.views[c] as Uint8Array)[j] = v as number;
          break;
        case 'bool':
          // DuckDB reads a BOOLEAN's byte as 0 or 1 only; MySQL's TINYINT may hold any value
          (this.views[c] as Uint8Array)[j] = v ? 1 : 0;
          break;
        case 'u32x2': {
          // ids below 2^53 without a BigInt per value: the low and high 32 bits (little-endian)
          const x = typeof v === 'number' ? v : Number(v);
          const u = this.views[c] as Uint32Array;
          u[2 * j] = x >>> 0;
          u[2 * j + 1] = Math.floor(x / 4294967296);
          break;
        }
        case 'str':
          col.strings![j] = typeof v === 'string' ? v : String(v);
          break;
      }
    }
    return ++this.n === this.capacity;
  }

  /** The filled rows; the buffer starts a new batch. */
  take(): Batch {
    const out = this.batch;
    out.n = this.n;
    this.reset();
    return out;
  }
}
