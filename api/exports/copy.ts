import { execFileSync } from 'node:child_process';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BOOLEAN,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  VARCHAR,
} from '@duckdb/node-api';
import type { Cell, Column, Provenance } from './document.ts';

/**
 * Parquet through DuckDB's own writer: `COPY … TO … (FORMAT parquet, COMPRESSION zstd)`, the provenance in the
 * file's key-value metadata under the key `evalhouse`.
 *
 * WARNING: two things reach the COPY's SQL text besides our identifiers. (1) Column names: each must match
 * SAFE_NAME (letters, digits, space and _ . @ % ( ) -), quoted; any other becomes col_<i>, and the file's
 * metadata maps it back (`columns`). (2) The provenance JSON as a string literal: a JSON text holds a single
 * quote only inside its strings, where it is written as the JSON escape \u0027, so the literal cannot end early;
 * DuckDB's standard strings give a backslash no meaning.
 */
const SAFE_NAME = /^[\p{L}\p{N} _.@%()-]{1,120}$/u;

export function parquetNames(columns: readonly Column[]): {
  names: string[];
  renamed: Record<string, string>;
} {
  const renamed: Record<string, string> = {};
  const names = columns.map((c, i) => {
    if (SAFE_NAME.test(c.key)) return c.key;
    renamed[`col_${i}`] = c.key;
    return `col_${i}`;
  });
  return { names, renamed };
}

export function kvLiteral(value: unknown): string {
  return `'${JSON.stringify(value).replaceAll("'", '\\u0027')}'`;
}

function copyOptions(provenance: Provenance, renamed: Record<string, string>): string {
  const meta = Object.keys(renamed).length ? { ...provenance, columns: renamed } : provenance;
  return `(FORMAT parquet, COMPRESSION zstd, KV_METADATA {evalhouse: ${kvLiteral(meta)}})`;
}

const duckType = (c: Column): DuckDBType =>
  c.format === 'text' ? VARCHAR : c.format === 'boolean' ? BOOLEAN : DOUBLE;
const sqlType = (c: Column) =>
  c.format === 'text' ? 'VARCHAR' : c.format === 'boolean' ? 'BOOLEAN' : 'DOUBLE';

/** A table (a few thousand rows at most: the non-streaming kinds) to a Parquet file at `path`. */
export async function writeParquetTable(
  conn: DuckDBConnection,
  columns: readonly Column[],
  rows: readonly Cell[][],
  provenance: Provenance,
  path: string,
): Promise<void> {
  const stage = `export_stage_${process.pid}_${Math.trunc(Math.random() * 1e9)}`;
  await conn.run(`CREATE TEMP TABLE ${stage} (${columns.map((c, i) => `c${i} ${sqlType(c)}`).join(', ')})`);
  try {
    const appender = await conn.createAppender(stage, 'main', 'temp');
    const types = columns.map(duckType);
    for (let off = 0; off < rows.length; off += 2048) {
      const part = rows.slice(off, off + 2048);
      const chunk = DuckDBDataChunk.create(types, part.length);
      chunk.setColumns(
        columns.map((c, j) =>
          part.map((r) => {
            const v = r[j] ?? null;
            if (v === null) return null;
            return c.format === 'text' ? String(v) : c.format === 'boolean' ? Boolean(v) : Number(v);
          }),
        ),
      );
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
    const { names, renamed } = parquetNames(columns);
    await conn.run(
      `COPY (SELECT ${names.map((n, i) => `c${i} AS "${n}"`).join(', ')} FROM ${stage}) TO '${path}' ${copyOptions(provenance, renamed)}`,
    );
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${stage}`);
  }
}

/** The formats DuckDB writes itself, from a query: its own writers are many times faster than ours. */
export type CopyFormat = 'parquet' | 'csv' | 'json';

/** cells.ts's rule in SQL: a text starting with = + - @ tab or CR gets a leading apostrophe. */
const neutraliseSql = (col: string) =>
  `CASE WHEN regexp_matches(${col}, '^[=+\\-@\\t\\r]') THEN '''' || ${col} ELSE ${col} END`;

const COPY_OPTIONS = {
  csv: `(FORMAT csv, HEADER false, QUOTE '"', ESCAPE '"', NULLSTR '', NEW_LINE '\\r\\n')`,
  json: '(FORMAT json, ARRAY true)',
};

/**
 * A query's rows (columns c0, c1, …) as a file stream that starts at once: DuckDB writes into a named pipe
 * in `dir` while the caller reads it, so neither side holds the file (memory stays one row group or buffer).
 * Where no pipe can be made, the file is written first, then read. CSV text cells are neutralised in the SQL
 * (the rule of cells.ts) and the header is the caller's (its names need no SQL); JSON is one array of objects.
 */
export async function copyStream(
  conn: DuckDBConnection,
  format: CopyFormat,
  sql: string,
  params: readonly unknown[],
  columns: readonly Column[],
  provenance: Provenance,
  dir: string,
): Promise<{ stream: Readable; done: Promise<void> }> {
  const path = join(dir, `results.${format}`);
  const { names, renamed } = parquetNames(columns);
  const exprs = columns.map((c, i) =>
    format === 'csv' && c.format === 'text'
      ? `${neutraliseSql(`c${i}`)} AS "${names[i]}"`
      : `c${i} AS "${names[i]}"`,
  );
  const options = format === 'parquet' ? copyOptions(provenance, renamed) : COPY_OPTIONS[format];
  const copy = `COPY (SELECT ${exprs.join(', ')} FROM (${sql}) q) TO '${path}' ${options}`;
  let piped = true;
  try {
    execFileSync('mkfifo', [path]);
  } catch {
    piped = false;
  }
  if (!piped) {
    await conn.run(copy, params as never);
    const file = createReadStream(path);
    file.on('close', () => rmSync(path, { force: true }));
    return { stream: file, done: Promise.resolve() };
  }
  const file = createReadStream(path);
  let finished = false;
  const done = conn.run(copy, params as never).then(
    () => {
      finished = true;
    },
    (err) => {
      finished = true;
      file.destroy(err as Error);
    },
  );
  // the reader gone early (the client left): DuckDB's next write fails on the closed pipe and the COPY ends;
  // interrupting it also ends a COPY still waiting for its first write
  file.on('close', () => {
    if (!finished) conn.interrupt();
    rmSync(path, { force: true });
  });
  return { stream: file, done: done.then(() => undefined) };
}
