/**
 * Bench-only instrumentation: wraps a DuckDB connection's or a mysql2 pool's query methods on the
 * object itself (product code untouched) and sums wall time per statement shape, so a profile that
 * shows the JS thread idle can still say which SQL the time went to.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type mysql from 'mysql2/promise';

export interface SqlTrace {
  readonly totals: Map<string, { calls: number; ms: number }>;
  print(title: string, wallMs: number): void;
}

/** First 90 characters of the statement with whitespace squeezed and literals/placeholders folded. */
function shape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(?…)')
    .replace(/\b\d+\b/g, 'N')
    .trim()
    .slice(0, 90);
}

export function createTrace(): SqlTrace {
  const totals = new Map<string, { calls: number; ms: number }>();
  return {
    totals,
    print(title, wallMs) {
      const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
      const sum = rows.reduce((s, [, v]) => s + v.ms, 0);
      console.log(
        `  -- ${title}: SQL time by statement (wall ${wallMs.toFixed(0)} ms, SQL ${sum.toFixed(0)} ms) --`,
      );
      for (const [k, v] of rows) {
        console.log(
          `  ${v.ms.toFixed(0).padStart(7)} ms ${((100 * v.ms) / wallMs).toFixed(1).padStart(5)}% ${String(v.calls).padStart(6)}×  ${k}`,
        );
      }
    },
  };
}

function add(trace: SqlTrace, sql: string, ms: number) {
  const k = shape(sql);
  const t = trace.totals.get(k) ?? { calls: 0, ms: 0 };
  t.calls++;
  t.ms += ms;
  trace.totals.set(k, t);
}

/** Wraps run / runAndReadAll / createAppender+flush of one DuckDB connection. */
export function traceDuckDb(conn: DuckDBConnection, trace: SqlTrace): void {
  for (const m of ['run', 'runAndReadAll'] as const) {
    const orig = conn[m].bind(conn) as (sql: string, ...a: unknown[]) => Promise<unknown>;
    (conn as unknown as Record<string, unknown>)[m] = async (sql: string, ...a: unknown[]) => {
      const t0 = performance.now();
      try {
        return await orig(sql, ...a);
      } finally {
        add(trace, sql, performance.now() - t0);
      }
    };
  }
}

/** Wraps query on a mysql2 pool and on every connection it hands out. */
export function traceMysql(pool: mysql.Pool, trace: SqlTrace): void {
  const wrap = (q: { query: (...a: unknown[]) => Promise<unknown> }) => {
    const orig = q.query.bind(q);
    q.query = async (...a: unknown[]) => {
      const sql = typeof a[0] === 'string' ? a[0] : String((a[0] as { sql?: string }).sql ?? '?');
      const t0 = performance.now();
      try {
        return await orig(...a);
      } finally {
        add(trace, sql, performance.now() - t0);
      }
    };
  };
  wrap(pool as never);
  const getConnection = pool.getConnection.bind(pool);
  const wrapped = new WeakSet<object>();
  pool.getConnection = async () => {
    const c = await getConnection();
    if (!wrapped.has(c)) {
      wrapped.add(c);
      wrap(c as never);
    }
    return c;
  };
}
