import { errors } from '../core/errors.ts';
import { type MetaValue, OUTCOMES } from '../core/types.ts';
import { iso } from './runs.ts';
import { type Column, RESULTS } from './schema.ts';

/** Runs SQL on the store of record (MySQL, or the embedded DuckDB file); the same text on both. */
type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

export interface ItemResultsQuery {
  benchmark: string;
  item: string;
  models?: string[] | undefined;
  sample?: number | undefined;
  limit: number;
  offset: number;
  /** Longer response and input texts are cut to this many characters, and say so (`*_truncated`, `*_chars`). */
  maxChars: number;
}

/**
 * The result columns an answer shows, in their declared order (store/schema.ts): every one but the keys a
 * result is found by. `response` is cut to maxChars, and the answer adds response_chars and response_truncated.
 */
export const ANSWER_COLUMNS: readonly Column[] = RESULTS.filter(
  (c) => c.name !== 'id' && c.name !== 'run_id' && c.name !== 'item_id',
);

/** One stored result: its model and run, then a value per ANSWER_COLUMNS column (api/routes/results.ts types them). */
export type StoredResult = {
  model: string;
  run: { id: number; label: string };
  response_chars: number | null;
  response_truncated: boolean;
} & Record<string, unknown>;

/** A stored value as the answer gives it: the outcome's name for its code, 0/1 as a boolean, ISO 8601 UTC instants. */
function answerValue(c: Column, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (c.name === 'outcome') return OUTCOMES[Number(v)]; // stored as its code (schema.ts)
  switch (c.duckdb) {
    case 'BOOLEAN':
      return Boolean(Number(v));
    case 'TIMESTAMP':
      return iso(v);
    case 'VARCHAR':
    case 'JSON':
      return String(v);
    default:
      return Number(v);
  }
}

// our own column names from the declaration, never input
const SELECTED = ANSWER_COLUMNS.map((c) =>
  c.name === 'response'
    ? 'SUBSTRING(res.response, 1, ?) AS response, CHAR_LENGTH(res.response) AS response_chars'
    : `res.${c.name}`,
).join(', ');

export interface ItemResults {
  benchmark: string;
  item: {
    id: string;
    input: string | null;
    input_chars: number | null;
    input_truncated: boolean;
    reference: string | null;
    metadata: Record<string, MetaValue>;
  };
  results: StoredResult[];
  total: number;
  limit: number;
  offset: number;
  next_offset: number | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const parseJson = (v: unknown): Record<string, MetaValue> => {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return JSON.parse(v) as Record<string, MetaValue>;
  return v as Record<string, MetaValue>;
};

/**
 * One item's stored results (every model, run and sample unless narrowed), read from the store of record:
 * in MySQL mode the response text lives only there (the DuckDB mirror does not copy it). Ordered by model
 * name, run, sample. Names are bound parameters; an unknown benchmark, item or model is a 404 naming it.
 */
export async function readItemResults(query: Query, q: ItemResultsQuery): Promise<ItemResults> {
  const [bench] = await query<{ id: number }>('SELECT id FROM benchmarks WHERE slug = ?', [q.benchmark]);
  if (!bench) {
    const known = await query<{ slug: string }>('SELECT slug FROM benchmarks ORDER BY slug', []);
    throw errors.notFound(
      'benchmark',
      q.benchmark,
      known.map((b) => b.slug),
    );
  }
  const benchmarkId = Number(bench.id);
  const [item] = await query<Record<string, unknown>>(
    `SELECT id, item_key, SUBSTRING(input, 1, ?) AS input, CHAR_LENGTH(input) AS input_chars, reference, metadata
     FROM items WHERE benchmark_id = ? AND item_key = ?`,
    [q.maxChars, benchmarkId, q.item],
  );
  if (!item) throw errors.unknownItem(q.benchmark, q.item);

  const runs = await query<{ id: number; model: string }>(
    'SELECT r.id, m.name AS model FROM runs r JOIN models m ON m.id = r.model_id WHERE r.benchmark_id = ? ORDER BY r.id',
    [benchmarkId],
  );
  let runIds = runs.map((r) => Number(r.id));
  if (q.models) {
    const known = [...new Set(runs.map((r) => r.model))].sort();
    for (const m of q.models) if (!known.includes(m)) throw errors.notFound('model', m, known);
    const wanted = new Set(q.models);
    runIds = runs.filter((r) => wanted.has(r.model)).map((r) => Number(r.id));
  }
  const inputChars = num(item.input_chars);
  const out: ItemResults = {
    benchmark: q.benchmark,
    item: {
      id: String(item.item_key),
      input: text(item.input),
      input_chars: inputChars,
      input_truncated: inputChars !== null && inputChars > q.maxChars,
      reference: text(item.reference),
      metadata: parseJson(item.metadata),
    },
    results: [],
    total: 0,
    limit: q.limit,
    offset: q.offset,
    next_offset: null,
  };
  if (runIds.length === 0) return out;

  // run_id first: MySQL's primary key (run_id, item_id, sample) then reads one short range per run
  const where = [`res.run_id IN (${runIds.map(() => '?').join(', ')})`, 'res.item_id = ?'];
  const params: unknown[] = [...runIds, Number(item.id)];
  if (q.sample !== undefined) {
    where.push('res.sample = ?');
    params.push(q.sample);
  }
  const from = `FROM results res JOIN runs ru ON ru.id = res.run_id JOIN models m ON m.id = ru.model_id
    WHERE ${where.join(' AND ')}`;
  const [count] = await query<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, params);
  out.total = Number(count?.n ?? 0);
  const rows = await query<Record<string, unknown>>(
    `SELECT m.name AS model, ru.id AS run_id, ru.label, ${SELECTED}
     ${from}
     ORDER BY m.name, ru.id, res.sample
     LIMIT ? OFFSET ?`,
    [q.maxChars, ...params, q.limit, q.offset],
  );
  out.results = rows.map((r) => {
    const chars = num(r.response_chars);
    const result: StoredResult = {
      model: String(r.model),
      run: { id: Number(r.run_id), label: String(r.label) },
      response_chars: chars,
      response_truncated: chars !== null && chars > q.maxChars,
    };
    for (const c of ANSWER_COLUMNS) result[c.name] = answerValue(c, r[c.name]);
    return result;
  });
  const next = q.offset + out.results.length;
  out.next_offset = next < out.total ? next : null;
  return out;
}
