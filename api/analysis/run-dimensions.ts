import type { MetadataField } from '../../core/types.ts';

/**
 * What a run records about how it was asked, as levels /analysis can group by beside a benchmark's own
 * metadata fields (a field of the benchmark with the same name wins): the stored prompt's name and its
 * version number (runs.prompt_name, runs.prompt_version; prompts/). A run with the benchmark's own
 * template has NULL there, and its results are counted in `excluded` when grouped by them. Not the run
 * config's `prompt_version` hash of the template text.
 */
export const RUN_DIMENSIONS = {
  prompt: { column: 'prompt_name', type: 'string', label: 'stored prompt' },
  prompt_version: { column: 'prompt_version', type: 'integer', label: 'stored prompt version' },
} as const satisfies Record<string, { column: string; type: MetadataField['type']; label: string }>;
export type RunDimension = keyof typeof RUN_DIMENSIONS;

export const RUN_DIMENSION_NAMES = Object.keys(RUN_DIMENSIONS) as RunDimension[];

/** A run dimension as a level: a field with no item column, read from the runs table (compile.ts). */
export function runDimensionField(name: string): MetadataField | null {
  if (!Object.hasOwn(RUN_DIMENSIONS, name)) return null;
  const d = RUN_DIMENSIONS[name as RunDimension];
  return { name, type: d.type, label: d.label, col: null, runColumn: d.column };
}
