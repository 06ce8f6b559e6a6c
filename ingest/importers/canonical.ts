/**
 * The canonical results format: one record per (model, item, sample), as JSONL or CSV,
 * optionally gzipped. Every bad record becomes a RecordError (file, 1-based line, field);
 * nothing here throws on bad data, so one typo never aborts a million-line import.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { errors } from '../../core/errors.ts';
import {
  type CanonicalRecord,
  type MetaValue,
  MetaValueSchema,
  OUTCOMES,
  type Outcome,
} from '../../core/types.ts';
import { MAX_LATENCY_MS, MAX_TOKENS } from '../../store/result-values.ts';
import { csvRows } from './csv-rows.ts';
import { evaluatedAt } from './evaluated-at.ts';
import { checkFieldSizes, type ImportLimits, limitExceeded, limitsOf } from './limits.ts';
import { asFileError, openContent, readLines, withoutGz } from './read.ts';
import type { Importer, ImportItem, ImportOptions, RecordError } from './types.ts';

/**
 * The outcome a record's fields imply. An explicit `outcome` must agree with `correct`
 * (correct/incorrect need the matching boolean; unscored/error need `correct` null);
 * without one, an error message with no verdict means `error`.
 */
export function deriveOutcome(
  correct: boolean | null,
  error?: string | null,
  explicit?: Outcome | null,
): { outcome: Outcome } | { message: string } {
  if (explicit) {
    const expected: boolean | null = explicit === 'correct' ? true : explicit === 'incorrect' ? false : null;
    if (correct !== expected) {
      return {
        message: `outcome "${explicit}" requires correct ${expected === null ? 'empty' : expected}, got ${correct ?? 'empty'}`,
      };
    }
    return { outcome: explicit };
  }
  if (correct === true) return { outcome: 'correct' };
  if (correct === false) return { outcome: 'incorrect' };
  return { outcome: error ? 'error' : 'unscored' };
}

// the members of core/types.ts MetaValueSchema, with the message an import reports
const metaValue = z.union(MetaValueSchema.options, {
  error: 'must be a string, number, boolean or null (no nested objects or arrays)',
});
const text = z.string({ error: 'must be a string or null' }).nullish();
const nonNegative = z.number({ error: 'must be a number or null' }).finite().nonnegative();
const amount = nonNegative.nullish();
const tokens = nonNegative.max(MAX_TOKENS, `must be at most ${MAX_TOKENS}`).nullish();
const duration = nonNegative.max(MAX_LATENCY_MS, `must be at most ${MAX_LATENCY_MS} ms`).nullish();

const recordSchema = z.strictObject({
  benchmark: z.string({ error: 'required: a non-empty string' }).min(1, 'required: a non-empty string'),
  model: z.string({ error: 'required: a non-empty string' }).min(1, 'required: a non-empty string'),
  run: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
  item_id: z.union([z.string().min(1), z.number().int()], {
    error: 'required: a non-empty string or an integer',
  }),
  sample: z
    .number({ error: 'must be an integer >= 0' })
    .int('must be an integer >= 0')
    .nonnegative()
    .optional(),
  correct: z
    .union([z.boolean(), z.literal(0), z.literal(1), z.null()], {
      error: 'must be true, false, 0, 1 or empty',
    })
    .optional(),
  score: z.number({ error: 'must be a number or empty' }).finite().nullish(),
  outcome: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.join(', ')}` }).optional(),
  metadata: z.record(z.string(), metaValue, { error: 'must be an object of scalar values' }).optional(),
  input: text,
  response: text,
  answer: text,
  reference: text,
  latency_ms: duration,
  ttft_ms: duration,
  tokens_in: tokens,
  tokens_out: tokens,
  cost_usd: amount,
  error: text,
  evaluated_at: z
    .string({ error: 'must be an ISO 8601 date or date-time with an offset, or empty' })
    .refine((s) => evaluatedAt(s) !== undefined, {
      message:
        'must be an ISO 8601 date (2025-01-31) or date-time with an offset (2025-01-31T12:00:00Z), 1970–9999',
    })
    .nullish(),
});

export const CANONICAL_FIELDS: readonly string[] = Object.keys(recordSchema.shape);
const FIELD_SET = new Set(CANONICAL_FIELDS);
const OUTCOME_SET = new Set<unknown>(OUTCOMES);

type Raw = Record<string, unknown>;
const isText = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const inRange = (v: unknown, max: number) =>
  v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max);
const isName = (v: unknown) => typeof v === 'string' && v.length > 0;

/**
 * The schema's acceptance, checked by hand for the common record (zod per record was a large share of an
 * import). It only says yes to what the schema accepts; on anything else the schema runs and words the error.
 */
function plainlyValid(r: Raw): boolean {
  for (const k in r) if (!FIELD_SET.has(k)) return false;
  const { item_id, sample, correct, score, metadata, evaluated_at } = r;
  if (!isName(r.benchmark) || !isName(r.model) || (r.run !== undefined && !isName(r.run))) return false;
  if (!(isName(item_id) || (typeof item_id === 'number' && Number.isSafeInteger(item_id)))) return false;
  if (sample !== undefined && !(typeof sample === 'number' && Number.isSafeInteger(sample) && sample >= 0))
    return false;
  if (
    !(
      correct === undefined ||
      correct === null ||
      correct === true ||
      correct === false ||
      correct === 0 ||
      correct === 1
    )
  )
    return false;
  if (!(score === undefined || score === null || (typeof score === 'number' && Number.isFinite(score))))
    return false;
  if (r.outcome !== undefined && !OUTCOME_SET.has(r.outcome)) return false;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
    if (Object.getPrototypeOf(metadata) !== Object.prototype) return false;
    for (const k in metadata) {
      const v = (metadata as Raw)[k];
      if (
        !(
          v === null ||
          typeof v === 'string' ||
          typeof v === 'boolean' ||
          (typeof v === 'number' && Number.isFinite(v))
        )
      )
        return false;
    }
  }
  if (
    !isText(r.input) ||
    !isText(r.response) ||
    !isText(r.answer) ||
    !isText(r.reference) ||
    !isText(r.error)
  )
    return false;
  if (!inRange(r.latency_ms, MAX_LATENCY_MS) || !inRange(r.ttft_ms, MAX_LATENCY_MS)) return false;
  if (!inRange(r.tokens_in, MAX_TOKENS) || !inRange(r.tokens_out, MAX_TOKENS)) return false;
  if (!inRange(r.cost_usd, Number.POSITIVE_INFINITY)) return false;
  if (!(evaluated_at === undefined || evaluated_at === null)) {
    if (typeof evaluated_at !== 'string' || evaluatedAt(evaluated_at) === undefined) return false;
  }
  return true;
}

export type Checked = { record: CanonicalRecord } | { field: string; message: string };

/** The schema's first issue, as one import reports it. */
function schemaProblem(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: '(record)', message: 'invalid record' };
  if (issue.code === 'unrecognized_keys') {
    return {
      field: issue.keys.join(', '),
      message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${CANONICAL_FIELDS.join(', ')}`,
    };
  }
  return { field: issue.path.join('.') || '(record)', message: issue.message };
}

/** Validate one parsed record (from either syntax) and complete it into a CanonicalRecord. */
export function toCanonical(raw: unknown, options: ImportOptions = {}): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { field: '(record)', message: 'must be a JSON object' };
  }
  const overrides = options.benchmark || options.model || options.run;
  const merged: Raw = overrides ? { ...raw } : (raw as Raw);
  if (options.benchmark) merged.benchmark = options.benchmark;
  if (options.model) merged.model = options.model;
  if (options.run) merged.run = options.run;
  let r: z.infer<typeof recordSchema>;
  if (plainlyValid(merged)) r = merged as z.infer<typeof recordSchema>;
  else {
    const parsed = recordSchema.safeParse(merged);
    if (!parsed.success) return schemaProblem(parsed.error);
    r = parsed.data;
  }
  const correct =
    r.correct === undefined || r.correct === null ? null : r.correct === true || r.correct === 1;
  const derived = deriveOutcome(correct, r.error, r.outcome);
  if ('message' in derived) return { field: 'outcome', message: derived.message };
  return {
    record: {
      benchmark: r.benchmark,
      model: r.model,
      run: r.run ?? 'default',
      item_id: String(r.item_id),
      sample: r.sample ?? 0,
      outcome: derived.outcome,
      correct,
      score: r.score ?? null,
      metadata: r.metadata ?? {},
      input: r.input,
      response: r.response,
      answer: r.answer,
      reference: r.reference,
      latency_ms: r.latency_ms,
      ttft_ms: r.ttft_ms,
      tokens_in: r.tokens_in,
      tokens_out: r.tokens_out,
      cost_usd: r.cost_usd,
      error: r.error,
      source: 'import:canonical',
      evaluated_at: r.evaluated_at ? evaluatedAt(r.evaluated_at) : undefined,
    },
  };
}

function item(file: string, line: number, checked: Checked, limits?: ImportLimits): ImportItem {
  if ('record' in checked) {
    if (limits) checkFieldSizes(checked.record, limits, file, line);
    return { line, record: checked.record };
  }
  const error: RecordError = { file, line, field: checked.field, message: checked.message };
  return { line, error };
}

/**
 * JSONL: one JSON object per line, blank lines skipped. A file that cannot be read to its end
 * (a truncated gzip) throws CORRUPT_FILE rather than ending early: with --skip-invalid a
 * reported error would otherwise let the records before it be committed as the whole file.
 */
export async function* readCanonicalJsonl(
  path: string,
  options: ImportOptions = {},
): AsyncGenerator<ImportItem> {
  const file = basename(path);
  const limits = limitsOf(options);
  for await (const { line, text } of readLines(path, { file, limits })) {
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      yield item(file, line, { field: '(line)', message: `invalid JSON: ${(err as Error).message}` });
      continue;
    }
    yield item(file, line, toCanonical(raw, options), limits);
  }
}

const NUMERIC_COLUMNS = new Set(['score', 'latency_ms', 'ttft_ms', 'tokens_in', 'tokens_out', 'cost_usd']);
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;

/** A `meta.<field>` cell: integers, numbers and true/false become typed; empty is null. */
export function inferCsvValue(cell: string): MetaValue {
  if (cell === '') return null;
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  // Leading zeros ("007") are codes, not numbers: keep them as text.
  if (NUMBER.test(cell) && !/^[-+]?0\d/.test(cell)) return Number(cell);
  return cell;
}

const CORRECT_CELL = new Map<string, unknown>([
  ['', null],
  ['true', true],
  ['false', false],
  ['1', 1],
  ['0', 0],
]);

/**
 * How a column's cells become the raw record's values (undefined: absent). Strings that are not valid are
 * passed on unchanged, so the schema reports them with the field name.
 */
function cellReader(column: string): (cell: string) => unknown {
  if (column === 'correct')
    return (cell) => {
      const v = CORRECT_CELL.get(cell.trim().toLowerCase());
      return v === undefined ? cell : v;
    };
  if (column === 'sample')
    return (cell) => (cell === '' ? undefined : INTEGER.test(cell) ? Number(cell) : cell);
  if (NUMERIC_COLUMNS.has(column))
    return (cell) => (cell === '' ? null : NUMBER.test(cell.trim()) ? Number(cell) : cell);
  if (column === 'item_id' || column === 'benchmark' || column === 'model') return (cell) => cell;
  // Optional text: an empty cell means absent.
  return (cell) => (cell === '' ? undefined : cell);
}

/** Turns a CSV header into the function from one row's cells to the raw object the schema checks. */
export function csvRowReader(
  header: readonly string[],
): (cells: readonly string[]) => Record<string, unknown> {
  const meta = header.map((c) => (c.startsWith('meta.') ? c.slice(5) : null));
  const readers = header.map(cellReader);
  return (cells) => {
    const raw: Record<string, unknown> = {};
    const metadata: Record<string, MetaValue> = {};
    for (let c = 0; c < header.length; c++) {
      const cell = cells[c] ?? '';
      const m = meta[c];
      if (m != null) metadata[m] = inferCsvValue(cell);
      else {
        const v = readers[c]!(cell);
        if (v !== undefined) raw[header[c]!] = v;
      }
    }
    raw.metadata = metadata;
    return raw;
  };
}

/**
 * CSV with a header row; `meta.<field>` columns become metadata. Quoted newlines are fine. A row is never
 * buffered past maxRecordBytes characters (≥ its bytes); the exact byte size is checked per record. A
 * malformed CSV (unclosed quote) throws CORRUPT_FILE.
 */
export async function* readCanonicalCsv(
  path: string,
  options: ImportOptions = {},
): AsyncGenerator<ImportItem> {
  const file = basename(path);
  const limits = limitsOf(options);
  const max = limits.maxRecordBytes;
  const tooLong = (line: number, bytes: number) =>
    limitExceeded(
      limits,
      'maxRecordBytes',
      file,
      `the CSV record at line ${line} (more than ${max} bytes)`,
      bytes,
    );
  const input = openContent(path, { file, limits });
  const rows = csvRows(input as AsyncIterable<Buffer>, {
    maxChars: max,
    tooLong: (line) => tooLong(line, max + 1),
    malformed: (line, code, message) => errors.corruptFile(file, `line ${line}: ${code}: ${message}`),
  });
  let header: string[] | null = null;
  let toRaw: ((cells: readonly string[]) => Record<string, unknown>) | null = null;
  try {
    for await (const { cells, line } of rows) {
      let chars = 0;
      for (const c of cells) chars += c.length;
      // (a string of n UTF-16 units has at most 3n UTF-8 bytes: most rows need no counting)
      if (chars * 3 > max) {
        const bytes = Buffer.byteLength(cells.join(''), 'utf8');
        if (bytes > max) throw tooLong(line, bytes);
      }
      if (!header) {
        header = cells;
        const unknown = header.filter((c) => !c.startsWith('meta.') && !CANONICAL_FIELDS.includes(c));
        if (unknown.length > 0 || header.includes('metadata')) {
          const bad = unknown.length > 0 ? unknown : ['metadata'];
          yield item(file, 1, {
            field: bad.join(', '),
            message: `unknown column(s) ${bad.map((c) => `"${c}"`).join(', ')}; allowed: ${CANONICAL_FIELDS.filter((c) => c !== 'metadata').join(', ')} and meta.<field>`,
          });
          return;
        }
        toRaw = csvRowReader(header);
        continue;
      }
      if (cells.length !== header.length) {
        yield item(file, line, {
          field: '(row)',
          message: `row has a different number of cells than the header's ${header.length} columns`,
        });
        continue;
      }
      yield item(file, line, toCanonical(toRaw!(cells), options), limits);
    }
  } catch (err) {
    throw asFileError(err, file);
  } finally {
    input.destroy();
  }
}

const CANONICAL_EXT = /\.(jsonl|ndjson|csv)$/i;

export const canonicalImporter: Importer = {
  format: 'canonical',
  detect: (path) => CANONICAL_EXT.test(withoutGz(path)),
  read(path, options) {
    return /\.csv$/i.test(withoutGz(path))
      ? readCanonicalCsv(path, options)
      : readCanonicalJsonl(path, options);
  },
};
