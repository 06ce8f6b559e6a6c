import type { FieldType, MetadataField } from '../../core/types.ts';
import type { Db } from '../../store/db.ts';
import { notGroupableReason } from '../../store/field-types.ts';
import { iso } from '../../store/runs.ts';

export interface BenchView {
  id: number;
  slug: string;
  version: string;
  task: string | null;
  clusterField: string | null;
  fields: MetadataField[];
  fieldByName: Map<string, MetadataField>;
}

export interface RunView {
  id: number;
  benchmarkId: number;
  modelId: number;
  label: string;
  source: string;
  status: string;
  /** ISO 8601 UTC: when the run was registered (its import or the runner's start). */
  createdAt: string;
  /** ISO 8601 UTC: when the evaluation ran, as the harness file says; null when unknown. */
  evaluatedAt: string | null;
  /** Highest sample index stored (0: one answer per item). */
  maxSample: number;
  /** The stored prompt it ran with (prompts/), or null. */
  promptName: string | null;
  promptVersion: number | null;
  results: number;
}

/** What the analysis needs to resolve names, read once per data version from the analytics store. */
export interface CatalogView {
  benchmarks: Map<string, BenchView>;
  modelName: Map<number, string>;
  modelId: Map<string, number>;
  runs: RunView[];
}

export async function loadCatalogView(db: Db): Promise<CatalogView> {
  const [benchmarks, fields, models, runs, stats] = await Promise.all([
    db.all<{ id: number; slug: string; version: string; task: string | null; cluster_field: string | null }>(
      'SELECT id, slug, version, task, cluster_field FROM benchmarks ORDER BY slug',
    ),
    db.all<{ benchmark_id: number; name: string; col: number | null; type: FieldType; label: string }>(
      'SELECT benchmark_id, name, col, type, label FROM benchmark_fields ORDER BY benchmark_id, col, name',
    ),
    db.all<{ id: number; name: string }>('SELECT id, name FROM models'),
    db.all<{
      id: number;
      benchmark_id: number;
      model_id: number;
      label: string;
      source: string;
      status: string;
      created_at: unknown;
      evaluated_at: unknown;
      prompt_name: string | null;
      prompt_version: number | null;
      // The one place analyses select runs: a run whose import has not finished is not answered from.
    }>(
      "SELECT id, benchmark_id, model_id, label, source, status, created_at, evaluated_at, prompt_name, prompt_version FROM runs WHERE status <> 'importing' ORDER BY id",
    ),
    db.all<{ run_id: number; max_sample: number; n: number }>(
      'SELECT run_id, max(sample) AS max_sample, count(*) AS n FROM results GROUP BY run_id',
    ),
  ]);
  const view: CatalogView = { benchmarks: new Map(), modelName: new Map(), modelId: new Map(), runs: [] };
  for (const b of benchmarks) {
    const fs = fields
      .filter((f) => Number(f.benchmark_id) === Number(b.id))
      .map((f) => ({
        name: f.name,
        col: f.col === null ? null : Number(f.col),
        type: f.type,
        label: f.label,
      }));
    view.benchmarks.set(b.slug, {
      id: Number(b.id),
      slug: b.slug,
      version: b.version,
      task: b.task,
      clusterField: b.cluster_field,
      fields: fs,
      fieldByName: new Map(fs.map((f) => [f.name, f])),
    });
  }
  for (const m of models) {
    view.modelName.set(Number(m.id), m.name);
    view.modelId.set(m.name, Number(m.id));
  }
  const byRun = new Map(stats.map((s) => [Number(s.run_id), s]));
  view.runs = runs.map((r) => ({
    id: Number(r.id),
    benchmarkId: Number(r.benchmark_id),
    modelId: Number(r.model_id),
    label: r.label,
    source: r.source,
    status: r.status,
    createdAt: isoMs(r.created_at)!,
    evaluatedAt: isoMs(r.evaluated_at),
    maxSample: Number(byRun.get(Number(r.id))?.max_sample ?? 0),
    results: Number(byRun.get(Number(r.id))?.n ?? 0),
    promptName: r.prompt_name ?? null,
    promptVersion:
      r.prompt_version === null || r.prompt_version === undefined ? null : Number(r.prompt_version),
  }));
  return view;
}

/** A stored timestamp as ISO 8601 UTC with milliseconds, whichever engine it came from. */
const isoMs = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(iso(v)).toISOString();

/** Groupable fields: those with a positional column and short values (store/field-types.ts). */
export const groupable = (b: BenchView): MetadataField[] =>
  b.fields.filter((f) => notGroupableReason(f) === null);
