import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { BenchmarkProblem } from './types.ts';

/** One raw record of an items file and where it was. */
export interface RawRow {
  line: number;
  row: Record<string, unknown>;
}

/** Rows of an items file. CSV cells are strings (`fromText` marks them for type coercion). */
export interface RawItems {
  rows: RawRow[];
  fromText: boolean;
  problems: BenchmarkProblem[];
}

/** Reads items.jsonl, items.csv or items.parquet into plain records with line numbers. */
export async function readItemsFile(path: string): Promise<RawItems> {
  const file = basename(path);
  if (path.endsWith('.jsonl')) return readJsonl(path, file);
  if (path.endsWith('.csv')) return readCsv(path, file);
  if (path.endsWith('.parquet')) return readParquet(path);
  return { rows: [], fromText: false, problems: [{ file, message: 'unknown items file type' }] };
}

async function readJsonl(path: string, file: string): Promise<RawItems> {
  const text = await readFile(path, 'utf8');
  const rows: RawRow[] = [];
  const problems: BenchmarkProblem[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    try {
      const row: unknown = JSON.parse(raw);
      if (row === null || typeof row !== 'object' || Array.isArray(row))
        problems.push({ file, line: i + 1, message: 'each line must be a JSON object' });
      else rows.push({ line: i + 1, row: row as Record<string, unknown> });
    } catch (err) {
      problems.push({ file, line: i + 1, message: `invalid JSON: ${(err as Error).message}` });
    }
  }
  return { rows, fromText: false, problems };
}

async function readCsv(path: string, file: string): Promise<RawItems> {
  try {
    const records = parseCsv(await readFile(path), { columns: true, info: true, bom: true }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
    // info.lines is the line where the record ends; a record spans lines when a cell has newlines.
    return {
      rows: records.map((r) => ({ line: r.info.lines, row: r.record })),
      fromText: true,
      problems: [],
    };
  } catch (err) {
    return { rows: [], fromText: true, problems: [{ file, message: `CSV: ${(err as Error).message}` }] };
  }
}

async function readParquet(path: string): Promise<RawItems> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll('SELECT * FROM read_parquet(?)', [path]);
    const rows = reader
      .getRowObjectsJS()
      .map((row, i) => ({ line: i + 1, row: plain(row) as Record<string, unknown> }));
    return { rows, fromText: false, problems: [] };
  } catch (err) {
    return {
      rows: [],
      fromText: false,
      problems: [{ file: basename(path), message: (err as Error).message }],
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's JS values to JSON-like ones: BIGINT to number when it fits (else string). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
