import { writeFileSync } from 'node:fs';
import type { Db } from '../db.ts';

/**
 * Moving rows from MySQL to DuckDB as CSV text: MySQL renders each row as one CSV line
 * (numbers in their shortest round-trip form, strings quoted), the client only joins the lines,
 * and DuckDB's C++ CSV reader parses them. Parsing a dozen typed columns per row in JS was the
 * mirror's bottleneck.
 */
export type ColumnKind = 'int' | 'bigint' | 'tinyint' | 'float' | 'bool' | 'text' | 'ts';
export type CsvColumn = readonly [name: string, kind: ColumnKind];

const DUCK_TYPE: Record<ColumnKind, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  tinyint: 'UTINYINT',
  float: 'DOUBLE',
  bool: 'BOOLEAN',
  text: 'VARCHAR',
  ts: 'TIMESTAMP',
};

/**
 * The MySQL expression rendering a row as one CSV line: NULL is an empty unquoted field, text
 * is quoted with doubled quotes. Column names come from constant lists, never from input.
 */
export function csvLineExpr(columns: readonly CsvColumn[]): string {
  const parts = columns.map(([name, kind]) => {
    switch (kind) {
      case 'text':
        return `IF(${name} IS NULL, '', CONCAT('"', REPLACE(${name}, '"', '""'), '"'))`;
      case 'ts':
        return `IF(${name} IS NULL, '', DATE_FORMAT(${name}, '%Y-%m-%d %H:%i:%s.%f'))`;
      default:
        return `IFNULL(${name}, '')`;
    }
  });
  return `CONCAT_WS(',', ${parts.join(', ')})`;
}

/** DuckDB's read_csv over a file of such lines, as a table expression with the columns typed. */
export function readCsvExpr(columns: readonly CsvColumn[]): string {
  const cols = columns.map(([name, kind]) => `'${name}': '${DUCK_TYPE[kind]}'`).join(', ');
  return `read_csv(?, header = false, auto_detect = false, quote = '"', escape = '"', nullstr = '',
    allow_quoted_nulls = false, new_line = '\\n', columns = {${cols}})`;
}

/** Writes the lines to `file` (one row each). */
export function writeLines(file: string, lines: readonly unknown[]): void {
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
}

/** Replaces a DuckDB table's rows with the CSV file's. */
export async function replaceFromCsv(
  db: Db,
  table: string,
  columns: readonly CsvColumn[],
  file: string,
): Promise<void> {
  const names = columns.map((c) => c[0]).join(', ');
  await db.run(`DELETE FROM ${table}`);
  await db.run(`INSERT INTO ${table} (${names}) SELECT ${names} FROM ${readCsvExpr(columns)}`, [file]);
}
