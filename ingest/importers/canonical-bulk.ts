/**
 * The bulk path for canonical CSV (and the rules canonical-bulk-jsonl.ts shares): DuckDB reads and
 * checks the file itself (in parallel, off the event loop), and the store registers and appends it
 * set-based in one transaction (core/store.ts BulkStage). It is an accelerator, never a second
 * definition: it accepts a row only where the record path (canonical.ts toCanonical, the import gate)
 * accepts it and would store the same values, and declines the whole file on anything else (an invalid
 * or unusual cell, a header it does not know, an item whose rows disagree), so that the record path reads
 * it and words the errors. test/ingest/bulk-path.integration.test.ts imports files both ways and
 * compares every table.
 *
 * Low-cardinality values (metadata cells, evaluated_at) are judged on their distinct values by the record
 * path's own functions (inferCsvValue, inferType, encodeValue, JSON.stringify, evaluatedAt) and joined
 * back. Per row, in SQL, and narrower than canonical.ts where that makes equal values certain: numbers
 * must match NUMBER with no surrounding spaces; `correct` must be exactly one of its words (any case);
 * names at most 191 bytes (then surely at most 191 UTF-16 units); `sample` as plain digits; no metadata
 * field name a JavaScript object would move to the front (an array index).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_NAME_LENGTH, nameProblem } from '../../core/names.ts';
import type { BulkStage, SqlRunner, StagedBulk } from '../../core/store.ts';
import { OUTCOME_CODE, OUTCOMES } from '../../core/types.ts';
import { lit } from '../../store/db.ts';
import { encodeValue, FIELD_TYPE_CODES, inferType } from '../../store/field-types.ts';
import { MAX_LATENCY_MS, MAX_TOKENS } from '../../store/result-values.ts';
import { CANONICAL_FIELDS, inferCsvValue } from './canonical.ts';
import { evaluatedAt } from './evaluated-at.ts';
import type { ImportLimits } from './limits.ts';
import type { ImportOptions } from './types.ts';

/**
 * The line (object) size DuckDB's readers are given: the file's longest record with some slack, at
 * least `floor`. They allocate buffers by it, so the import limit (64 MiB by default) would cost a
 * gigabyte of buffers for a file of short lines.
 */
export const readerLineBytes = (longest: number, floor: number) => Math.max(longest + 4096, floor);

/** Keys a JavaScript object orders before the others (array indices). */
export const INDEX_KEY = /^(0|[1-9]\d{0,9})$/;

/** canonical.ts NUMBER, in RE2 (DuckDB's regular expressions); matched whole. */
const NUMBER = String.raw`[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?`;

/** The distinct values of a cell expression over the raw rows. */
export async function distinctCells(db: SqlRunner, expr: string, table: string): Promise<string[]> {
  return (await db.all<{ v: string }>(`SELECT DISTINCT ${expr} AS v FROM ${table} raw`)).map((r) => r.v);
}

/**
 * A temp lookup table (cell, then the verdict columns) from rows JSON-encoded to a scratch file: read
 * back by DuckDB, not bound as parameters (a field may have a million distinct values).
 */
export async function lookup(
  db: SqlRunner,
  dir: string,
  table: string,
  rows: unknown[][],
  columns: [string, string][] = rows[0]?.length === 4
    ? [
        ['cell', 'VARCHAR'],
        ['t', 'INTEGER'],
        ['v', 'VARCHAR'],
        ['frag', 'VARCHAR'],
      ]
    : [
        ['cell', 'VARCHAR'],
        ['v', 'VARCHAR'],
      ],
): Promise<void> {
  const names = columns.map(([n]) => n);
  const types: Record<string, string> = Object.fromEntries(columns);
  const path = join(dir, `${table}.jsonl`);
  writeFileSync(
    path,
    rows.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]])))).join('\n'),
  );
  const cols = names.map((n) => `${n} ${types[n]}`).join(', ');
  await db.run(`CREATE OR REPLACE TEMP TABLE ${table} (${cols})`);
  if (rows.length === 0) return;
  await db.run(
    `INSERT INTO ${table} SELECT ${names.join(', ')} FROM read_json(?, format = 'newline_delimited',
       columns = {${names.map((n) => `${n}: '${types[n]}'`).join(', ')}})`,
    [path],
  );
}

/** The numeric fields and the bounds canonical.ts gives them. */
export const NUMBER_BOUNDS: Record<string, [number, number]> = {
  score: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  latency_ms: [0, MAX_LATENCY_MS],
  ttft_ms: [0, MAX_LATENCY_MS],
  tokens_in: [0, MAX_TOKENS],
  tokens_out: [0, MAX_TOKENS],
  cost_usd: [0, Number.POSITIVE_INFINITY],
};

/** Whether a column's extremes (null: no value) are finite and within its bounds (NaN and ±Infinity fail). */
export function inBounds(col: string, min: unknown, max: unknown): boolean {
  if (min === null || min === undefined || max === null || max === undefined) return true;
  const [lo, hi] = NUMBER_BOUNDS[col]!;
  const [a, b] = [Number(min), Number(max)];
  return Number.isFinite(a) && Number.isFinite(b) && a >= lo && b <= hi;
}

/**
 * The outcome code of a row (canonical.ts deriveOutcome) and the checks that an explicit outcome is
 * known and agrees with `correct`, over SQL expressions of the row's outcome text ('' for none), correct
 * (BOOLEAN) and error text ('' for none).
 */
export function outcomeSql(outcome: string, correct: string, error: string): { code: string; ok: string[] } {
  const code = (x: keyof typeof OUTCOME_CODE) => Number(OUTCOME_CODE[x]);
  return {
    code: `CASE ${OUTCOMES.map((x) => `WHEN ${outcome} = ${lit(x)} THEN ${code(x)}`).join(' ')}
      WHEN (${correct}) IS TRUE THEN ${code('correct')} WHEN (${correct}) IS FALSE THEN ${code('incorrect')}
      WHEN ${error} <> '' THEN ${code('error')} ELSE ${code('unscored')} END`,
    ok: [
      `${outcome} IN ('', ${OUTCOMES.map(lit).join(', ')})`,
      `(${outcome} = '' OR (${outcome} = 'correct' AND (${correct}) IS TRUE)
        OR (${outcome} = 'incorrect' AND (${correct}) IS FALSE)
        OR (${outcome} IN ('unscored', 'error') AND (${correct}) IS NULL))`,
    ],
  };
}

/** evaluated_at cells judged by the record path's own function: the lookup `bulk_dates` (cell → ISO). */
export async function datesLookup(
  db: SqlRunner,
  dir: string,
  expr: string,
  table: string,
): Promise<string | null> {
  const rows: unknown[][] = [];
  for (const v of await distinctCells(db, expr, table)) {
    const iso = v === '' || v === null ? null : evaluatedAt(v);
    if (iso === undefined) return 'an evaluated_at the record path refuses';
    rows.push([v ?? '', iso]);
  }
  await lookup(db, dir, 'bulk_dates', rows);
  return null;
}

export interface StageInput {
  /** The plain CSV DuckDB reads (the file, or its gunzipped copy). */
  path: string;
  header: string[];
  /** Data rows counted by the scan (bulk-scan.ts): DuckDB must read exactly as many. */
  rows: number;
  /** Bytes of the file's longest record (the scan's). */
  longest: number;
  options: ImportOptions;
  limits: ImportLimits;
  signal?: AbortSignal | undefined;
  /** Where lookup files may be written. */
  scratchDir: string;
  /** Why the file was declined, for the caller's log. */
  declined?: (why: string) => void;
}

/** The header's plan, or why the bulk path declines it. */
function planHeader(header: string[]): { why: string } | { index: Map<string, number>; meta: string[] } {
  const index = new Map<string, number>();
  const meta: string[] = [];
  for (const [i, h] of header.entries()) {
    if (index.has(h)) return { why: `column ${h} twice` };
    index.set(h, i);
    if (h.startsWith('meta.')) {
      const name = h.slice(5);
      if (nameProblem(name) || INDEX_KEY.test(name)) return { why: `field name ${name}` };
      meta.push(name);
    } else if (h === 'metadata' || !CANONICAL_FIELDS.includes(h)) return { why: `column ${h}` };
  }
  return { index, meta };
}

/** The stage of a canonical file for the store's bulkAppend: declining says why through `declined`. */
export function canonicalStage(
  input: StageInput,
  stageFile: (db: SqlRunner, input: StageInput) => Promise<StagedBulk | string> = stageCsv,
): BulkStage {
  return {
    source: 'import:canonical',
    signal: input.signal,
    stage: async (db) => {
      const why = await stageFile(db, input);
      if (typeof why === 'string') {
        input.declined?.(why);
        return null;
      }
      return why;
    },
  };
}

async function stageCsv(db: SqlRunner, input: StageInput): Promise<StagedBulk | string> {
  const plan = planHeader(input.header);
  if ('why' in plan) return plan.why;
  const { index, meta } = plan;
  const o = input.options;
  // an override is one name, checked here; cells are checked per row
  for (const v of [o.benchmark, o.model, o.run]) if (v && nameProblem(v)) return 'an override name';
  const columns = input.header.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  // explicit dialect, no sniffing: the scan checked the file is plain in exactly this dialect
  const maxLine = readerLineBytes(input.longest, 2_097_152);
  try {
    await db.run(
      `CREATE OR REPLACE TEMP TABLE bulk_raw AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '"',
         escape = '"', auto_detect = false, strict_mode = true, null_padding = false, all_varchar = true,
         max_line_size = ?, buffer_size = ?, columns = {${columns}})`,
      // DuckDB's buffer is 16 lines of the longest by default: a gigabyte for a file of 64 MiB records
      [input.path, maxLine, Math.max(2 * maxLine, 33_554_432)],
    );
  } catch (err) {
    return `DuckDB could not read it: ${(err as Error).message.split('\n')[0]}`;
  }
  const [count] = await db.all<{ n: number }>('SELECT count(*)::BIGINT AS n FROM bulk_raw');
  if (Number(count?.n) !== input.rows) return `DuckDB read ${count?.n} rows, the scan ${input.rows}`;

  const cell = (name: string) => (index.has(name) ? `coalesce(raw.c${index.get(name)}, '')` : `''`);
  // the overrides are data, in a one-row table the views read
  await db.run('CREATE OR REPLACE TEMP TABLE bulk_opts (benchmark VARCHAR, model VARCHAR, label VARCHAR)');
  await db.run('INSERT INTO bulk_opts VALUES (?, ?, ?)', [
    o.benchmark || null,
    o.model || null,
    o.run || null,
  ]);
  const benchmark = o.benchmark ? '(SELECT benchmark FROM bulk_opts)' : cell('benchmark');
  const model = o.model ? '(SELECT model FROM bulk_opts)' : cell('model');
  const label = o.run
    ? '(SELECT label FROM bulk_opts)'
    : `CASE WHEN ${cell('run')} = '' THEN 'default' ELSE ${cell('run')} END`;

  // every row as the record path would accept it (canonical.ts toCanonical, the import gate)
  const ok: string[] = [];
  const name = (e: string) => `(strlen(${e}) BETWEEN 1 AND ${MAX_NAME_LENGTH})`;
  if (!o.benchmark) ok.push(name(benchmark));
  if (!o.model) ok.push(name(model));
  if (!o.run) ok.push(name(label));
  ok.push(name(cell('item_id')));
  const sample = cell('sample');
  ok.push(`(${sample} = '' OR regexp_full_match(${sample}, '[0-9]{1,9}'))`);
  const correctWord = `lower(${cell('correct')})`;
  ok.push(`${correctWord} IN ('', 'true', 'false', '1', '0')`);
  const correct = `CASE WHEN ${correctWord} IN ('true', '1') THEN true WHEN ${correctWord} IN ('false', '0') THEN false END`;
  const numbers: Record<string, string> = {};
  // numbers: the format per cell; finiteness and range from each column's extremes
  const numberChecks: { col: string }[] = [];
  const aggregates: string[] = [];
  for (const col of Object.keys(NUMBER_BOUNDS)) {
    if (!index.has(col)) {
      numbers[col] = 'NULL::DOUBLE';
      continue;
    }
    const c = cell(col);
    const v = `TRY_CAST(${c} AS DOUBLE)`;
    const k = numberChecks.length;
    numberChecks.push({ col });
    ok.push(`(${c} = '' OR regexp_full_match(${c}, ${lit(NUMBER)}))`);
    aggregates.push(`min(${v}) AS lo${k}`, `max(${v}) AS hi${k}`);
    numbers[col] = `CASE WHEN ${c} <> '' THEN ${v} END`;
  }
  for (const t of ['input', 'response', 'answer', 'reference', 'error'])
    if (index.has(t)) ok.push(`strlen(${cell(t)}) <= ${input.limits.maxFieldBytes}`);
  const outcome = cell('outcome');
  const derived = outcomeSql(outcome, correct, cell('error'));
  ok.push(...derived.ok);
  const outcomeCode = derived.code;
  for (const field of meta) ok.push(`strlen(${cell(`meta.${field}`)}) <= ${input.limits.maxFieldBytes}`);
  const [verdict] = await db.all<Record<string, number | null>>(
    `SELECT count(*) FILTER (WHERE (${ok.join(' AND ')}) IS NOT TRUE)::BIGINT AS bad
       ${aggregates.map((a) => `, ${a}`).join('')}
     FROM bulk_raw raw`,
  );
  if (Number(verdict?.bad) > 0) return `${verdict?.bad} rows the record path must judge`;
  for (const [k, { col }] of numberChecks.entries())
    if (!inBounds(col, verdict?.[`lo${k}`], verdict?.[`hi${k}`])) return `${col} out of range`;

  // Low-cardinality columns are judged per distinct cell by the record path's own functions, and the
  // verdicts joined back: evaluated_at, and each metadata field (type code, stored text, JSON).
  let evaluated = 'NULL::VARCHAR';
  let dates = '';
  if (index.has('evaluated_at')) {
    const refused = await datesLookup(db, input.scratchDir, cell('evaluated_at'), 'bulk_raw');
    if (refused) return refused;
    dates = `LEFT JOIN bulk_dates d ON d.cell = ${cell('evaluated_at')}`;
    evaluated = 'd.v';
  }
  await db.run(
    `CREATE OR REPLACE TEMP VIEW bulk_rows AS SELECT
       raw.rowid AS ord, ${benchmark} AS benchmark, ${model} AS model, ${label} AS label,
       ${cell('item_id')} AS item_key,
       CASE WHEN ${sample} = '' THEN 0 ELSE TRY_CAST(${sample} AS INTEGER) END AS sample,
       (${outcomeCode})::UTINYINT AS outcome, ${correct} AS correct, ${numbers.score} AS score,
       nullif(${cell('answer')}, '') AS answer,
       round(${numbers.latency_ms} * 1000) / 1000 AS latency_ms,
       round(${numbers.ttft_ms} * 1000) / 1000 AS ttft_ms,
       round(${numbers.tokens_in})::INTEGER AS tokens_in, round(${numbers.tokens_out})::INTEGER AS tokens_out,
       ${numbers.cost_usd} AS cost_usd, nullif(${cell('response')}, '') AS response,
       nullif(${cell('error')}, '') AS error, ${evaluated} AS evaluated_at
     FROM bulk_raw raw ${dates}`,
  );

  // items: one row each; the record path keeps an item's first record, so its rows must agree
  const itemCells = meta.map((f, j) => `${cell(`meta.${f}`)} AS c${j}`);
  await db.run(
    `CREATE OR REPLACE TEMP TABLE bulk_item_cells AS
     SELECT DISTINCT ${benchmark} AS benchmark, ${cell('item_id')} AS item_key,
       nullif(${cell('input')}, '') AS input, nullif(${cell('reference')}, '') AS reference
       ${itemCells.map((c) => `, ${c}`).join('')}
     FROM bulk_raw raw`,
  );
  const [split] = await db.all<{ n: number; k: number }>(
    'SELECT count(*)::BIGINT AS n, count(DISTINCT (benchmark, item_key))::BIGINT AS k FROM bulk_item_cells',
  );
  if (Number(split?.n) !== Number(split?.k)) return 'items whose rows disagree';
  const joins: string[] = [];
  const select: string[] = [];
  const json: string[] = [];
  for (const [j, field] of meta.entries()) {
    const rows: unknown[][] = [];
    for (const c of await distinctCells(db, `c${j}`, 'bulk_item_cells')) {
      const value = inferCsvValue(c);
      if (typeof value === 'number' && !Number.isFinite(value)) return `metadata.${field}: ${c}`;
      if (typeof value === 'string' && value.includes('\u0000')) return `metadata.${field}: a NUL character`;
      // the JSON text's fragment of this field: its key, then its value (a view takes no parameters)
      const frag = `${j === 0 ? '{' : ','}${JSON.stringify(field)}:${JSON.stringify(value)}`;
      rows.push([c, FIELD_TYPE_CODES.indexOf(inferType(value)), encodeValue(value), frag]);
    }
    await lookup(db, input.scratchDir, `bulk_meta${j}`, rows);
    joins.push(`LEFT JOIN bulk_meta${j} m${j} ON m${j}.cell = s.c${j}`);
    select.push(`m${j}.v AS v${j}`, `m${j}.t::TINYINT AS t${j}`);
    json.push(`m${j}.frag`);
  }
  const metadata = json.length === 0 ? `'{}'` : `${json.join(' || ')} || '}'`;
  // a view: a copy of four million items held 0.9 GB of DuckDB's memory, the joins are cheap to repeat
  await db.run(
    `CREATE OR REPLACE TEMP VIEW bulk_items AS
     SELECT s.benchmark, s.item_key, s.input, s.reference, ${metadata} AS metadata
       ${select.map((c) => `, ${c}`).join('')}
     FROM bulk_item_cells s ${joins.join(' ')}`,
  );
  return { metaFields: meta };
}
