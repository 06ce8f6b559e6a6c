import { z } from 'zod';
import type { MetaValue } from '../../core/types.ts';
import { type ScorerConfig, ScorerConfigSchema } from '../scorers/config.ts';

export type { ScorerConfig, ScorerConfigInput, ScorerType } from '../scorers/config.ts';

/** Metadata field types a benchmark may declare (`text`: kept, never grouped by). */
export const BENCH_FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'text'] as const;
export type BenchFieldType = (typeof BENCH_FIELD_TYPES)[number];

export const TASK_TYPES = ['multiple_choice', 'math', 'short_answer', 'free_text'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** Names that can be used as metadata fields and template variables. */
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and _ (not starting with a digit)');

export const MetadataFieldSchema = z.strictObject({
  name: identifier,
  type: z.enum(BENCH_FIELD_TYPES),
  label: z.string().min(1),
});
export type BenchMetadataField = z.infer<typeof MetadataFieldSchema>;

export const AttributionSchema = z.strictObject({
  /** Where the items come from (paper, dataset, repository). */
  source: z.string().min(1),
  license: z.string().min(1),
  url: z.string().optional(),
  citation: z.string().optional(),
});
export type Attribution = z.infer<typeof AttributionSchema>;

export const ITEM_FILES = ['items.jsonl', 'items.csv', 'items.parquet'] as const;

/** The schema of benchmark.yaml. */
export const BenchmarkYamlSchema = z
  .strictObject({
    slug: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
    version: z.union([z.string().min(1), z.number()]).transform(String),
    task: z.enum(TASK_TYPES),
    description: z.string().min(1),
    attribution: AttributionSchema,
    metadata: z.array(MetadataFieldSchema).default([]),
    /** Metadata field whose values group items that are not independent (shared passage, same exam). */
    cluster: z.string().optional(),
    template: z.strictObject({ system: z.string().optional(), user: z.string().min(1) }),
    scorer: ScorerConfigSchema,
    /** Items file name inside the folder; by default the one of items.jsonl / items.csv / items.parquet present. */
    items: z.enum(ITEM_FILES).optional(),
  })
  .superRefine((d, ctx) => {
    const names = d.metadata.map((f) => f.name);
    for (const [i, n] of names.entries()) {
      if (names.indexOf(n) !== i)
        ctx.addIssue({ code: 'custom', path: ['metadata', i, 'name'], message: `duplicate field "${n}"` });
      if (n === 'id' || n === 'reference')
        ctx.addIssue({
          code: 'custom',
          path: ['metadata', i, 'name'],
          message: `"${n}" is reserved for the item itself`,
        });
    }
    if (d.cluster !== undefined && !names.includes(d.cluster))
      ctx.addIssue({
        code: 'custom',
        path: ['cluster'],
        message: `"${d.cluster}" is not a metadata field; fields: ${names.join(', ') || '(none)'}`,
      });
  });
export type BenchmarkYaml = z.output<typeof BenchmarkYamlSchema>;

/** One item of a benchmark: its template variables, reference answer and metadata values. */
export interface BenchItem {
  id: string;
  vars: Record<string, unknown>;
  reference: string;
  metadata: Record<string, MetaValue>;
}

/** A loaded, validated benchmark. */
export interface BenchmarkDef {
  slug: string;
  version: string;
  task: TaskType;
  description: string;
  attribution: Attribution;
  metadata: BenchMetadataField[];
  cluster?: string;
  template: { system?: string; user: string };
  scorer: ScorerConfig;
  items: BenchItem[];
  /** Absolute path of the benchmark's folder. */
  dir: string;
}

/** One problem found while validating a benchmark: which file, where, and what. */
export interface BenchmarkProblem {
  file: string;
  /** 1-based line of the items file (header is line 1 for CSV; row number for Parquet). */
  line?: number;
  /** Field path, e.g. "scorer.threshold" or "metadata.level". */
  field?: string;
  message: string;
}

export class BenchmarkError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: BenchmarkProblem[],
  ) {
    super(
      `invalid benchmark ${dir}:\n${problems
        .slice(0, 20)
        .map((p) => `  ${formatProblem(p)}`)
        .join('\n')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'BenchmarkError';
  }
}

export function formatProblem(p: BenchmarkProblem): string {
  const where = [p.file, p.line !== undefined ? `line ${p.line}` : undefined, p.field]
    .filter(Boolean)
    .join(': ');
  return `${where}: ${p.message}`;
}
