/**
 * The canonical results format: one record per (model, item, sample), as JSONL or CSV,
 * optionally gzipped. Every bad record becomes a RecordError (file, 1-based line, field);
 * nothing here throws on bad data, so one typo never aborts a million-line import.
 */
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
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

export type Checked = { record: CanonicalRecord } | { field: string; message: string };

/** Validate one parsed record (from either syntax) and complete it into a CanonicalRecord. */
export function toCanonical(raw: unknown, options: ImportOptions = {}): Checked {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { field: '(record)', message: 'must be a JSON object' };
  }
  const merged: Record<string, unknown> = { ...raw };
  if (options.benchmark) merged.benchmark = options.benchmark;
  if (options.model) merged.model = options.model;
  if (options.run) merged.run = options.run;
  const parsed = recordSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) return { field: '(record)', message: 'invalid record' };
    if (issue.code === 'unrecognized_keys') {
      return {
        field: issue.keys.join(', '),
        message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${CANONICAL_FIELDS.join(', ')}`,
      };
    }
    return { field: issue.path.join('.') || '(record)', message: issue.message };
  }
  const r = parsed.data;
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

/** Strings that are not valid are passed on unchanged, so the schema reports them with the field name. */
function csvCell(column: string, cell: string): unknown {
  if (column === 'correct') {
    const v = { '': null, true: true, false: false, '1': 1, '0': 0 }[cell.trim().toLowerCase()];
    return v === undefined ? cell : v;
  }
  if (column === 'sample') return cell === '' ? undefined : INTEGER.test(cell) ? Number(cell) : cell;
  if (NUMERIC_COLUMNS.has(column)) return cell === '' ? null : NUMBER.test(cell.trim()) ? Number(cell) : cell;
  if (column === 'item_id' || column === 'benchmark' || column === 'model') return cell;
  // Optional text: an empty cell means absent.
  return cell === '' ? undefined : cell;
}

/** Turn one CSV row (all strings) into the raw object the schema checks. */
export function csvRowToRaw(row: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const metadata: Record<string, MetaValue> = {};
  for (const [column, cell] of Object.entries(row)) {
    if (column.startsWith('meta.')) metadata[column.slice(5)] = inferCsvValue(cell);
    else {
      const v = csvCell(column, cell);
      if (v !== undefined) raw[column] = v;
    }
  }
  raw.metadata = metadata;
  return raw;
}

interface CsvRow {
  record: Record<string, string>;
  info: { lines: number; invalid_field_length: number; columns: unknown[] };
}

/**
 * CSV with a header row; `meta.<field>` columns become metadata. Quoted newlines are fine.
 * csv-parse stops buffering a record at maxRecordBytes characters (≥ its bytes); the exact byte
 * size is checked per record. A malformed CSV (unclosed quote) throws CORRUPT_FILE.
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
  const parser = pipeline(
    openContent(path, { file, limits }),
    // relax_column_count: a short or long row is reported as that record's error, not the file's.
    parse({
      columns: true,
      info: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: true,
      max_record_size: max,
    }),
    () => {}, // errors reach the loop below through the parser
  );
  let headerChecked = false;
  let invalidSoFar = 0;
  let crlfInCells = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRow>) {
      // csv-parse reports the line a record ends on, and counts a CRLF inside a quoted cell as
      // two lines (for the rest of the file too); step back over both to the record's first line.
      const cells = Object.values(record).join('');
      crlfInCells += cells.match(/\r\n/g)?.length ?? 0;
      const line = info.lines - (cells.match(/\n/g)?.length ?? 0) - crlfInCells;
      const bytes = Buffer.byteLength(cells, 'utf8');
      if (bytes > max) throw tooLong(line, bytes);
      if (!headerChecked) {
        headerChecked = true;
        const unknown = Object.keys(record).filter(
          (c) => !c.startsWith('meta.') && !CANONICAL_FIELDS.includes(c),
        );
        if (unknown.length > 0 || 'metadata' in record) {
          const bad = unknown.length > 0 ? unknown : ['metadata'];
          yield item(file, 1, {
            field: bad.join(', '),
            message: `unknown column(s) ${bad.map((c) => `"${c}"`).join(', ')}; allowed: ${CANONICAL_FIELDS.filter((c) => c !== 'metadata').join(', ')} and meta.<field>`,
          });
          return;
        }
      }
      if (info.invalid_field_length > invalidSoFar) {
        invalidSoFar = info.invalid_field_length;
        yield item(file, line, {
          field: '(row)',
          message: `row has a different number of cells than the header's ${info.columns.length} columns`,
        });
        continue;
      }
      yield item(file, line, toCanonical(csvRowToRaw(record), options), limits);
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const e = err as CsvError & { lines?: number };
      if (e.code === 'CSV_MAX_RECORD_SIZE') throw tooLong(e.lines ?? 0, max + 1);
      throw errors.corruptFile(file, `line ${e.lines ?? '?'}: ${e.code}: ${e.message}`);
    }
    throw asFileError(err, file);
  } finally {
    parser.destroy();
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
