import type { DuckDBConnection } from '@duckdb/node-api';
import type { MetadataField } from '../../core/types.ts';
import { queryRows } from './connection.ts';

/** The per-benchmark table the analysis reads: item_id plus one ENUM column f<col> per groupable field. */
export const metaTable = (benchmarkId: number): string => `meta_${Math.trunc(benchmarkId)}`;

/**
 * Rebuilds meta_<id> with ENUM-typed columns from the items table. Only integers we
 * generated (benchmark id, column index) appear in the SQL text; values come from a subquery.
 * WARNING: produces `CREATE TYPE e_<b>_<c> AS ENUM (SELECT DISTINCT m<c> FROM items WHERE benchmark_id = <b> ...)`.
 * Call inside a transaction so readers see the old or the new table, never neither.
 */
export async function rebuildMetaTable(conn: DuckDBConnection, benchmarkId: number, fields: MetadataField[]) {
  const b = Math.trunc(benchmarkId);
  const cols = fields
    .filter((f) => f.col !== null && f.type !== 'text')
    .map((f) => Math.trunc(f.col!))
    .sort((x, y) => x - y);
  await conn.run(`DROP TABLE IF EXISTS ${metaTable(b)}`);
  const existingTypes = await queryRows<{ type_name: string }>(
    conn,
    "SELECT DISTINCT type_name FROM duckdb_types() WHERE NOT internal AND starts_with(type_name, 'e_')",
  );
  const mine = new RegExp(`^e_${b}_\\d+$`);
  for (const t of existingTypes) {
    if (mine.test(t.type_name)) await conn.run(`DROP TYPE IF EXISTS ${t.type_name}`);
  }
  const select: string[] = ['id AS item_id'];
  for (const c of cols) {
    const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(
      conn,
      `SELECT count(DISTINCT m${c}) AS n FROM items WHERE benchmark_id = ? AND m${c} IS NOT NULL`,
      [b],
    );
    if (n > 0) {
      await conn.run(
        `CREATE TYPE e_${b}_${c} AS ENUM (SELECT DISTINCT m${c} FROM items WHERE benchmark_id = ${b} AND m${c} IS NOT NULL ORDER BY 1)`,
      );
      select.push(`m${c}::e_${b}_${c} AS f${c}`);
    } else {
      select.push(`m${c} AS f${c}`);
    }
  }
  await conn.run(
    `CREATE TABLE ${metaTable(b)} AS SELECT ${select.join(', ')} FROM items WHERE benchmark_id = ${b}`,
  );
}
