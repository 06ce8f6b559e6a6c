/**
 * The bulk path for canonical JSONL (see canonical-bulk.ts, whose rules it shares): DuckDB reads each
 * line's fields as JSON values, the JSON types of every distinct combination and every distinct key set
 * are judged here against canonical.ts's schema, each distinct metadata object is judged and encoded by
 * the record path's own functions (JSON.parse of DuckDB's text of it, inferType, encodeValue,
 * JSON.stringify), and rows are checked in SQL. Anything else declines the file to the record path.
 */
import { MAX_NAME_LENGTH, nameProblem } from '../../core/names.ts';
import type { SqlRunner, StagedBulk } from '../../core/store.ts';
import { encodeValue, FIELD_TYPE_CODES, inferType } from '../../store/field-types.ts';
import { CANONICAL_FIELDS } from './canonical.ts';
import {
  datesLookup,
  inBounds,
  lookup,
  NUMBER_BOUNDS,
  outcomeSql,
  readerLineBytes,
  type StageInput,
} from './canonical-bulk.ts';

const FIELDS = new Set(CANONICAL_FIELDS);
const INTS = ['BIGINT', 'UBIGINT'];
const NUMBERS = [...INTS, 'DOUBLE'];
/** The JSON types canonical.ts accepts per field (null: the field is absent; 'NULL': a JSON null). */
const ACCEPTED: Record<string, (string | null)[]> = {
  benchmark: ['VARCHAR'],
  model: ['VARCHAR'],
  run: [null, 'VARCHAR'],
  item_id: ['VARCHAR', ...INTS],
  sample: [null, ...INTS],
  correct: [null, 'NULL', 'BOOLEAN', ...INTS],
  score: [null, 'NULL', ...NUMBERS],
  outcome: [null, 'VARCHAR'],
  metadata: [null, 'OBJECT'],
  input: [null, 'NULL', 'VARCHAR'],
  response: [null, 'NULL', 'VARCHAR'],
  answer: [null, 'NULL', 'VARCHAR'],
  reference: [null, 'NULL', 'VARCHAR'],
  latency_ms: [null, 'NULL', ...NUMBERS],
  ttft_ms: [null, 'NULL', ...NUMBERS],
  tokens_in: [null, 'NULL', ...NUMBERS],
  tokens_out: [null, 'NULL', ...NUMBERS],
  cost_usd: [null, 'NULL', ...NUMBERS],
  error: [null, 'NULL', 'VARCHAR'],
  evaluated_at: [null, 'NULL', 'VARCHAR'],
};
const F = CANONICAL_FIELDS;
/** Fields canonical.ts lets a record leave out but not set to null (the required ones fail as NULL anyway). */
const NOT_NULLABLE = ['run', 'sample', 'outcome', 'metadata'];
/** A field's column in bulk_j: our own names (canonical fields), quoted. */
const col = (f: string) => `j."${f}"`;
const str = (f: string) => `(${col(f)} ->> '$')`;

type Meta = Record<string, string | number | boolean | null>;

/** A metadata object as canonical.ts accepts it (plainlyValid, the gate's names and NUL rules, field sizes). */
function metaProblem(m: unknown, maxFieldBytes: number): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'not an object';
  for (const [k, v] of Object.entries(m)) {
    if (nameProblem(k)) return `field name ${k}`;
    if (typeof v === 'number' && !Number.isFinite(v)) return `metadata.${k}: not finite`;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return `metadata.${k}: a NUL character`;
      if (Buffer.byteLength(v, 'utf8') > maxFieldBytes) return `metadata.${k}: too long`;
    } else if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') return `metadata.${k}: nested`;
  }
  return null;
}

export async function stageJsonl(db: SqlRunner, input: StageInput): Promise<StagedBulk | string> {
  const o = input.options;
  for (const v of [o.benchmark, o.model, o.run]) if (v && nameProblem(v)) return 'an override name';
  const max = readerLineBytes(input.longest, 16_777_216);
  const overridden = new Set(
    [o.benchmark && 'benchmark', o.model && 'model', o.run && 'run'].filter(Boolean) as string[],
  );
  // every line's key set, with its count of lines: only canonical fields, none twice (JSON.parse keeps the
  // last, DuckDB the first)
  let keySets: { k: string[]; n: number }[];
  try {
    const rows = await db.all<{ k: string; n: number }>(
      `SELECT to_json(json_keys(json))::VARCHAR AS k, count(*)::BIGINT AS n
       FROM read_ndjson_objects(?, maximum_object_size = ?) GROUP BY ALL`,
      [input.path, max],
    );
    keySets = rows.map((r) => ({ k: JSON.parse(r.k) as string[], n: Number(r.n) }));
  } catch (err) {
    return `DuckDB could not read it: ${(err as Error).message.split('\n')[0]}`;
  }
  if (keySets.reduce((sum, s) => sum + s.n, 0) !== input.rows) return 'the key sets do not count every line';
  for (const { k } of keySets) {
    if (new Set(k).size !== k.length) return 'a key twice';
    const unknown = k.find((x) => !FIELDS.has(x));
    if (unknown !== undefined) return `key ${unknown}`;
  }
  // read_json gives NULL for a field both absent and null: lines without it, to tell them apart below
  const absent = new Map(
    NOT_NULLABLE.map((f) => [f, keySets.reduce((sum, s) => sum + (s.k.includes(f) ? 0 : s.n), 0)]),
  );
  try {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE bulk_j AS SELECT * FROM read_json(?, format = 'newline_delimited',
         maximum_object_size = ?, columns = {${F.map((f) => `"${f}": 'JSON'`).join(', ')}})`,
      [input.path, max],
    );
  } catch (err) {
    return `DuckDB could not read it: ${(err as Error).message.split('\n')[0]}`;
  }
  const [count] = await db.all<{ n: number }>('SELECT count(*)::BIGINT AS n FROM bulk_j');
  if (Number(count?.n) !== input.rows) return `DuckDB read ${count?.n} rows, the scan ${input.rows}`;

  // the JSON types of each field, per distinct combination, with its count of lines
  const typeRows = await db.all<Record<string, string | number | null>>(
    `SELECT ${F.map((f, i) => `json_type(${col(f)}) AS t${i}`).join(', ')}, count(*)::BIGINT AS n
     FROM bulk_j j GROUP BY ALL`,
  );
  for (const r of typeRows)
    for (const [i, f] of F.entries()) {
      if (overridden.has(f)) continue; // the option replaces the record's value, whatever it is
      const t = (r[`t${i}`] ?? null) as string | null;
      if (!ACCEPTED[f]!.includes(t)) return `${f} as ${t ?? 'absent'}`;
    }
  // more lines with no value than without the key: some line has the key set to null
  for (const f of NOT_NULLABLE) {
    if (overridden.has(f)) continue;
    const i = F.indexOf(f);
    const none = typeRows.reduce((sum, r) => sum + (r[`t${i}`] == null ? Number(r.n) : 0), 0);
    if (none > absent.get(f)!) return `${f} null`;
  }

  await db.run('CREATE OR REPLACE TEMP TABLE bulk_opts (benchmark VARCHAR, model VARCHAR, label VARCHAR)');
  await db.run('INSERT INTO bulk_opts VALUES (?, ?, ?)', [
    o.benchmark || null,
    o.model || null,
    o.run || null,
  ]);
  const benchmark = o.benchmark ? '(SELECT benchmark FROM bulk_opts)' : str('benchmark');
  const model = o.model ? '(SELECT model FROM bulk_opts)' : str('model');
  const label = o.run ? '(SELECT label FROM bulk_opts)' : `coalesce(${str('run')}, 'default')`;
  const isInt = (f: string) => `json_type(${col(f)}) IN ('BIGINT', 'UBIGINT')`;
  const number = (f: string) => `TRY_CAST(${col(f)} AS DOUBLE)`;
  const correct = `CASE json_type(${col('correct')}) WHEN 'BOOLEAN' THEN TRY_CAST(${col('correct')} AS BOOLEAN)
    WHEN 'BIGINT' THEN TRY_CAST(${col('correct')} AS BIGINT) = 1 WHEN 'UBIGINT' THEN TRY_CAST(${col('correct')} AS BIGINT) = 1 END`;
  const derived = outcomeSql("coalesce(outcome, '')", 'correct', "coalesce(error, '')");
  // typed rows, in file order (rowid), every value as the record path reads it
  await db.run(
    `CREATE OR REPLACE TEMP TABLE bulk_t AS SELECT
       ${benchmark} AS benchmark, ${model} AS model, ${label} AS label,
       CASE WHEN json_type(${col('item_id')}) = 'VARCHAR' THEN ${str('item_id')}
            ELSE TRY_CAST(${col('item_id')} AS BIGINT)::VARCHAR END AS item_key,
       coalesce(${isInt('item_id')} AND abs(${number('item_id')}) > 9007199254740991, false) AS item_unsafe,
       coalesce(${number('sample')}, 0) AS sample_n,
       coalesce(${isInt('correct')}, false)
         AND coalesce(TRY_CAST(${col('correct')} AS BIGINT) NOT IN (0, 1), true) AS correct_bad,
       ${correct} AS correct, ${str('outcome')} AS outcome,
       ${Object.keys(NUMBER_BOUNDS)
         .map((f) => `${number(f)} AS ${f}`)
         .join(', ')},
       ${['answer', 'response', 'error', 'input', 'reference', 'evaluated_at'].map((f) => `${str(f)} AS ${f}`).join(', ')},
       CASE WHEN ${col('metadata')} IS NULL THEN '{}' ELSE ${col('metadata')}::VARCHAR END AS meta_text
     FROM bulk_j j`,
  );
  await db.run('DROP TABLE temp.bulk_j');

  const name = (e: string) => `(strlen(${e}) BETWEEN 1 AND ${MAX_NAME_LENGTH})`;
  const ok = [
    ...(o.benchmark ? [] : [name('benchmark')]),
    ...(o.model ? [] : [name('model')]),
    ...(o.run ? [] : [name('label')]),
    name('item_key'),
    'NOT item_unsafe',
    'NOT correct_bad',
    'sample_n BETWEEN 0 AND 2147483647',
    ...derived.ok,
    ...['answer', 'response', 'error', 'input', 'reference'].map(
      (f) => `coalesce(strlen(${f}), 0) <= ${input.limits.maxFieldBytes}`,
    ),
  ];
  const extremes = Object.keys(NUMBER_BOUNDS).flatMap((f) => [
    `min(${f}) AS lo_${f}`,
    `max(${f}) AS hi_${f}`,
  ]);
  const [verdict] = await db.all<Record<string, number | null>>(
    `SELECT count(*) FILTER (WHERE (${ok.join(' AND ')}) IS NOT TRUE)::BIGINT AS bad, ${extremes.join(', ')} FROM bulk_t`,
  );
  if (Number(verdict?.bad) > 0) return `${verdict?.bad} rows the record path must judge`;
  for (const f of Object.keys(NUMBER_BOUNDS))
    if (!inBounds(f, verdict?.[`lo_${f}`], verdict?.[`hi_${f}`])) return `${f} out of range`;

  const refused = await datesLookup(db, input.scratchDir, "coalesce(evaluated_at, '')", 'bulk_t');
  if (refused) return refused;
  await db.run(
    `CREATE OR REPLACE TEMP VIEW bulk_rows AS SELECT
       t.rowid AS ord, benchmark, model, label, item_key, sample_n::INTEGER AS sample,
       (${derived.code})::UTINYINT AS outcome, correct, score, answer,
       round(latency_ms * 1000) / 1000 AS latency_ms, round(ttft_ms * 1000) / 1000 AS ttft_ms,
       round(tokens_in)::INTEGER AS tokens_in, round(tokens_out)::INTEGER AS tokens_out, cost_usd,
       response, error, d.v AS evaluated_at
     FROM bulk_t t LEFT JOIN bulk_dates d ON d.cell = coalesce(t.evaluated_at, '')`,
  );

  // items: one row each, its rows agreeing; metadata judged per distinct object, in order of appearance
  await db.run(
    `CREATE OR REPLACE TEMP TABLE bulk_item_cells AS
     SELECT benchmark, item_key, input, reference, meta_text, min(rowid) AS first
     FROM bulk_t GROUP BY ALL`,
  );
  const [split] = await db.all<{ n: number; k: number }>(
    'SELECT count(*)::BIGINT AS n, count(DISTINCT (benchmark, item_key))::BIGINT AS k FROM bulk_item_cells',
  );
  if (Number(split?.n) !== Number(split?.k)) return 'items whose rows disagree';
  const metas = await db.all<{ benchmark: string; meta_text: string }>(
    'SELECT benchmark, meta_text FROM bulk_item_cells GROUP BY ALL ORDER BY min(first)',
  );
  const fields: string[] = [];
  const fieldIndex = new Map<string, number>();
  const parsed = new Map<string, Meta>();
  const orderOf = new Map<string, string[]>(); // per benchmark, its fields in order of appearance
  for (const { benchmark: b, meta_text: text } of metas) {
    let m = parsed.get(text);
    if (!m) {
      const value: unknown = JSON.parse(text);
      const problem = metaProblem(value, input.limits.maxFieldBytes);
      if (problem) return problem;
      m = value as Meta;
      parsed.set(text, m);
    }
    const mine = orderOf.get(b) ?? [];
    orderOf.set(b, mine);
    for (const k of Object.keys(m)) {
      if (!fieldIndex.has(k)) {
        fieldIndex.set(k, fields.length);
        fields.push(k);
      }
      if (!mine.includes(k)) mine.push(k);
    }
  }
  // the store registers a benchmark's fields in the file's order of them: each benchmark must agree
  for (const mine of orderOf.values()) {
    const global = fields.filter((f) => mine.includes(f));
    if (global.some((f, i) => f !== mine[i])) return 'benchmarks order their fields differently';
  }
  const rows = [...parsed].map(([text, m]) => {
    const row: unknown[] = [text, JSON.stringify(m)];
    for (const f of fields) {
      const present = Object.hasOwn(m, f);
      const v = present ? m[f]! : null;
      row.push(present ? encodeValue(v) : null, present ? FIELD_TYPE_CODES.indexOf(inferType(v)) : null);
    }
    return row;
  });
  await lookup(db, input.scratchDir, 'bulk_metas', rows, [
    ['cell', 'VARCHAR'],
    ['json', 'VARCHAR'],
    ...fields.flatMap((_, j): [string, string][] => [
      [`v${j}`, 'VARCHAR'],
      [`t${j}`, 'INTEGER'],
    ]),
  ]);
  // a view (see canonical-bulk.ts)
  await db.run(
    `CREATE OR REPLACE TEMP VIEW bulk_items AS
     SELECT s.benchmark, s.item_key, s.input, s.reference, m.json AS metadata
       ${fields.map((_, j) => `, m.v${j} AS v${j}, m.t${j}::TINYINT AS t${j}`).join('')}
     FROM bulk_item_cells s JOIN bulk_metas m ON m.cell = s.meta_text`,
  );
  return { metaFields: fields };
}
