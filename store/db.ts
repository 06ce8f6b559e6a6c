/** The little SQL surface the shared store code needs; one implementation per engine. */
export interface Db {
  readonly dialect: 'mysql' | 'duckdb';
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs fn inside one transaction (on one connection). */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
}

/** `(?, ?, ?), (?, ?, ?)` for rows × cols placeholders. */
export function placeholders(rows: number, cols: number): string {
  const one = `(${Array.from({ length: cols }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => one).join(', ');
}

/** Splits an array into chunks of at most `size`. */
export function chunks<T>(arr: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < arr.length; i += size) out.push(arr.slice(i, i + size));
  return out;
}

/**
 * A SQL string literal of our own text (outcome names, patterns, scratch paths where a statement takes
 * no parameter, as DuckDB's COPY), never of user input.
 */
export const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
