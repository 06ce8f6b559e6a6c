import { writeFileSync } from 'node:fs';
import type { Db } from '../db.ts';
import type { Column } from '../schema.ts';

/**
 * Moving rows from MySQL to DuckDB as CSV text: MySQL renders each row as one CSV line
 * (numbers in their shortest round-trip form, strings quoted), the client only joins the lines,
 * and DuckDB's C++ CSV reader parses them. Parsing a dozen typed columns per row in JS was the
 * mirror's bottleneck.
 */
/** A column as the CSV transport needs it: its name and DuckDB type (store/schema.ts). */
export type CsvColumn = Pick<Column, 'name' | 'duckdb'>;

/** JSON travels as its text: read_csv parses no JSON type. */
const readType = (c: CsvColumn): string => (c.duckdb === 'JSON' ? 'VARCHAR' : c.duckdb);

/**
 * The MySQL expression rendering a row as one CSV line: NULL is an empty unquoted field, text
 * is quoted with doubled quotes. Column names come from constant lists, never from input.
 */
export function csvLineExpr(columns: readonly CsvColumn[]): string {
  const parts = columns.map(({ name, duckdb }) => {
    switch (duckdb) {
      case 'VARCHAR':
      case 'JSON':
        return `IF(${name} IS NULL, '', CONCAT('"', REPLACE(${name}, '"', '""'), '"'))`;
      case 'TIMESTAMP':
        return `IF(${name} IS NULL, '', DATE_FORMAT(${name}, '%Y-%m-%d %H:%i:%s.%f'))`;
      default:
        return `IFNULL(${name}, '')`;
    }
  });
  return `CONCAT_WS(',', ${parts.join(', ')})`;
}

/** DuckDB's read_csv over a file of such lines, as a table expression with the columns typed. */
export function readCsvExpr(columns: readonly CsvColumn[]): string {
  const cols = columns.map((c) => `'${c.name}': '${readType(c)}'`).join(', ');
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
  const names = columns.map((c) => c.name).join(', ');
  await db.run(`DELETE FROM ${table}`);
  await db.run(`INSERT INTO ${table} (${names}) SELECT ${names} FROM ${readCsvExpr(columns)}`, [file]);
}
