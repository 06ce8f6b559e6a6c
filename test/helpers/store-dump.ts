/**
 * Everything a store holds, by names and keys rather than ids, sorted: what two stores that imported
 * the same data must agree on (created_at and ids left out). Compare stores of one engine with each
 * other (values keep each engine's forms).
 */
import type { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import type { MysqlStore } from '../../store/mysql/mysql-store.ts';

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** The engine's text forms of a JSON column and of a timestamp. */
interface Forms {
  json: (col: string) => string;
  time: (col: string) => string;
}

async function dumpWith(q: Query, forms: Forms) {
  const sorted = (rows: Record<string, unknown>[]) =>
    rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
  const m = Array.from({ length: 16 }, (_, i) => `i.m${i}`).join(', ');
  return {
    benchmarks: sorted(await q('SELECT slug, version, task FROM benchmarks')),
    fields: sorted(
      await q(
        'SELECT b.slug, f.name, f.col, f.type, f.label FROM benchmark_fields f JOIN benchmarks b ON b.id = f.benchmark_id',
      ),
    ),
    models: sorted(await q('SELECT name FROM models')),
    runs: sorted(
      await q(
        `SELECT b.slug, m.name, r.label, r.source, r.status, ${forms.time('r.evaluated_at')} AS evaluated_at
         FROM runs r JOIN benchmarks b ON b.id = r.benchmark_id JOIN models m ON m.id = r.model_id`,
      ),
    ),
    items: sorted(
      await q(
        `SELECT b.slug, i.item_key, i.input, i.reference, ${forms.json('i.metadata')} AS metadata, ${m}
         FROM items i JOIN benchmarks b ON b.id = i.benchmark_id`,
      ),
    ),
    results: sorted(
      await q(
        `SELECT b.slug, m.name, r.label, i.item_key, x.sample, x.outcome, x.correct, x.score, x.answer,
                x.latency_ms, x.ttft_ms, x.tokens_in, x.tokens_out, x.cost_usd, x.response, x.error
         FROM results x JOIN runs r ON r.id = x.run_id JOIN items i ON i.id = x.item_id
         JOIN benchmarks b ON b.id = r.benchmark_id JOIN models m ON m.id = r.model_id`,
      ),
    ),
  };
}

export function dump(store: DuckDbStore) {
  return dumpWith((sql) => store.db.all<Record<string, unknown>>(sql), {
    json: (c) => `${c}::VARCHAR`,
    time: (c) => `${c}::VARCHAR`,
  });
}

export function dumpMysql(store: MysqlStore) {
  return dumpWith(async (sql) => (await store.pool.query(sql))[0] as Record<string, unknown>[], {
    json: (c) => `CAST(${c} AS CHAR)`,
    time: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`,
  });
}
