import { type DuckDBAppender, type DuckDBConnection, DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { Connection as CallbackConnection } from 'mysql2';

/**
 * Moving rows from MySQL to DuckDB without text: MySQL sends them over its binary protocol (a prepared
 * statement's `execute`: doubles and integers as their bytes, no server-side formatting, which cost the
 * CSV transport three quarters of its time), and each value is written into typed arrays laid out as
 * DuckDB's vectors are (validity bits included), copied into a data chunk a column at a time and appended.
 * No JS object per value: per row, only mysql2's array of its values.
 */

/** A column of the target table: where its value comes from in the MySQL row (or NULL, or the copy time). */
type Source = number | 'null' | 'now';

/** What one target column needs per chunk: its buffer (numbers) or strings, and validity bits. */
interface Slot {
  readonly src: Source;
  readonly kind: 'u32x2' | 'i32' | 'u8' | 'f64' | 'str' | 'ts';
  readonly bytes: Uint8Array;
  readonly view: Uint32Array | Int32Array | Uint8Array | Float64Array | BigInt64Array | null;
  readonly strings: (string | null)[] | null;
  readonly valid: Uint8Array;
  nulls: number;
}

const CAP = duckdb.vector_size();

const width = (id: DuckDBTypeId): [Slot['kind'], number] => {
  switch (id) {
    case DuckDBTypeId.BIGINT:
      return ['u32x2', 8];
    case DuckDBTypeId.INTEGER:
      return ['i32', 4];
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.BOOLEAN:
      return ['u8', 1];
    case DuckDBTypeId.DOUBLE:
      return ['f64', 8];
    case DuckDBTypeId.VARCHAR:
      return ['str', 0];
    case DuckDBTypeId.TIMESTAMP:
      return ['ts', 8];
    default:
      throw new Error(`the binary mirror copy has no writer for DuckDB type ${DuckDBTypeId[id]}`);
  }
};

/**
 * Appends rows (arrays of values in `sourceNames` order) to a DuckDB table through its appender: a target
 * column named in `sourceNames` takes that value, `created_at` the copy time when the source has none,
 * any other column NULL. Rows are buffered per chunk of DuckDB's vector size.
 */
export class ChunkAppender {
  private readonly slots: Slot[];
  private n = 0;
  rows = 0;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly chunkTypes: ReturnType<DuckDBAppender['columnType']>[],
    slots: Slot[],
  ) {
    this.slots = slots;
  }

  /** WARNING: `table` is the caller's constant (`results`, `items`, a temp stage), never input. */
  static async open(
    conn: DuckDBConnection,
    table: string,
    sourceNames: readonly string[],
    temp = false,
  ): Promise<ChunkAppender> {
    const catalog = temp ? 'temp' : null;
    const reader = await conn.runAndReadAll(`SELECT * FROM ${temp ? 'temp.main.' : ''}${table} LIMIT 0`);
    const names = reader.columnNames();
    const appender = await conn.createAppender(table, 'main', catalog);
    const types = names.map((_, i) => appender.columnType(i));
    const slots = names.map((name, i): Slot => {
      const at = sourceNames.indexOf(name);
      const src: Source = at >= 0 ? at : name === 'created_at' ? 'now' : 'null';
      const [kind, w] = width(types[i]!.typeId);
      const bytes = new Uint8Array(new ArrayBuffer(Math.max(8, w * CAP)));
      const view =
        kind === 'u32x2'
          ? new Uint32Array(bytes.buffer)
          : kind === 'i32'
            ? new Int32Array(bytes.buffer)
            : kind === 'f64'
              ? new Float64Array(bytes.buffer)
              : kind === 'ts'
                ? new BigInt64Array(bytes.buffer)
                : kind === 'u8'
                  ? bytes
                  : null;
      return {
        src,
        kind,
        bytes,
        view,
        strings: kind === 'str' ? new Array(CAP).fill(null) : null,
        valid: new Uint8Array(new ArrayBuffer(Math.ceil(CAP / 64) * 8)).fill(0xff),
        nulls: 0,
      };
    });
    return new ChunkAppender(appender, types, slots);
  }

  /** Buffers one row; appends a chunk when it is full. */
  add(row: readonly unknown[]): void {
    const j = this.n;
    for (const s of this.slots) {
      const src = s.src;
      if (typeof src !== 'number') continue;
      const v = row[src];
      if (v === null || v === undefined) {
        s.valid[j >> 3]! &= ~(1 << (j & 7));
        s.nulls++;
        if (s.strings) s.strings[j] = null;
        continue;
      }
      switch (s.kind) {
        case 'f64':
          (s.view as Float64Array)[j] = v as number;
          break;
        case 'i32':
          (s.view as Int32Array)[j] = v as number;
          break;
        case 'u8':
          (s.view as Uint8Array)[j] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
          break;
        case 'u32x2': {
          // ids below 2^53 without a BigInt per value: the low and high 32 bits (little-endian)
          const x = typeof v === 'number' ? v : Number(v);
          const u = s.view as Uint32Array;
          u[2 * j] = x >>> 0;
          u[2 * j + 1] = Math.floor(x / 4294967296);
          break;
        }
        case 'str':
          s.strings![j] = typeof v === 'string' ? v : String(v);
          break;
        default:
          throw new Error(`no value writer for a ${s.kind} column`);
      }
    }
    if (++this.n === CAP) this.flushChunk();
  }

  /** Appends the buffered rows as one data chunk. */
  private flushChunk(): void {
    const n = this.n;
    if (n === 0) return;
    const chunk = DuckDBDataChunk.create(this.chunkTypes, n);
    const now = BigInt(Date.now()) * 1000n;
    this.slots.forEach((s, c) => {
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, c);
      if (s.src === 'null') {
        s.valid.fill(0);
        s.nulls = n;
      } else if (s.src === 'now') {
        (s.view as BigInt64Array).fill(now, 0, n);
      }
      if (s.strings) {
        for (let j = 0; j < n; j++) {
          const str = s.strings[j];
          if (str !== null && str !== undefined) duckdb.vector_assign_string_element(vec, j, str);
        }
      } else if (s.src !== 'null') {
        const w = s.bytes.byteLength / CAP;
        duckdb.copy_data_to_vector(vec, 0, s.bytes.buffer as ArrayBuffer, 0, n * w);
      }
      if (s.nulls > 0) {
        duckdb.vector_ensure_validity_writable(vec);
        duckdb.copy_data_to_vector_validity(vec, 0, s.valid.buffer as ArrayBuffer, 0, s.valid.byteLength);
        s.valid.fill(0xff);
        s.nulls = 0;
      }
    });
    this.appender.appendDataChunk(chunk);
    this.rows += n;
    this.n = 0;
  }

  /** Appends what is buffered and closes the appender (its rows then belong to the connection's transaction). */
  close(): void {
    this.flushChunk();
    this.appender.flushSync();
    this.appender.closeSync();
  }
}

/**
 * Streams a SELECT's rows through the binary protocol into `sink`, synchronously as they arrive (no
 * buffering beyond the socket's). Resolves with the number of rows. Statements with a varying number of
 * placeholders are closed after use (`unprepare`), so the server's prepared statements do not pile up.
 */
export function streamRows(
  conn: CallbackConnection,
  sql: string,
  values: readonly unknown[],
  sink: (row: unknown[]) => void,
  options: { unprepare?: boolean } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    let failed: unknown = null;
    let settled = false;
    const settle = (err: unknown) => {
      if (settled) return;
      settled = true;
      if (options.unprepare) conn.unprepare(sql);
      if (err) reject(err);
      else resolve(n);
    };
    conn
      .execute({ sql, values: values as unknown[], rowsAsArray: true })
      .on('result', (row) => {
        if (failed) return;
        try {
          sink(row as unknown as unknown[]);
          n++;
        } catch (err) {
          failed = err; // the rest of the result set is read and dropped, then the promise rejects
        }
      })
      .on('error', (err) => settle(err))
      .on('end', () => settle(failed));
  });
}
