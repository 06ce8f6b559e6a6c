import type { CommitHook, IngestStats, RecordStore, RunInfo, RunSpec, RunStatus } from '../../core/store.ts';
import type { CanonicalRecord } from '../../core/types.ts';

/** A RecordStore in memory for runner tests: idempotent on (run, item, sample) like the real ones, and it records calls. */
export class MemoryStore implements RecordStore {
  readonly kind = 'duckdb' as const;
  readonly runs: RunInfo[] = [];
  /** Results by run id, keyed `${item}#${sample}`. */
  readonly results = new Map<number, Map<string, CanonicalRecord>>();
  readonly calls: { op: string; n?: number }[] = [];
  /** Set to make the next ingest calls fail. */
  failIngest = 0;

  async migrate() {}

  async ingest(records: CanonicalRecord[]): Promise<IngestStats> {
    this.calls.push({ op: 'ingest', n: records.length });
    if (this.failIngest > 0) {
      this.failIngest--;
      throw new Error('injected store failure');
    }
    let inserted = 0;
    let duplicates = 0;
    for (const r of records) {
      const run = await this.ensureRun({
        benchmark: r.benchmark,
        model: r.model,
        label: r.run ?? 'default',
        source: r.source ?? 'import',
      });
      let m = this.results.get(run.id);
      if (!m) {
        m = new Map();
        this.results.set(run.id, m);
      }
      const key = `${r.item_id}#${r.sample}`;
      if (m.has(key)) duplicates++;
      else {
        const copy = structuredClone(r);
        m.set(key, copy);
        this.ids.set(copy, this.ids.size + 1);
        inserted++;
      }
    }
    return { inserted, duplicates };
  }

  async ensureRun(spec: RunSpec, onCommit?: CommitHook<RunInfo>): Promise<RunInfo> {
    const found = await this.findRun(spec.benchmark, spec.model, spec.label);
    if (found) {
      await onCommit?.(null, found);
      return found;
    }
    const now = new Date().toISOString();
    const run: RunInfo = {
      id: this.runs.length + 1,
      benchmark: spec.benchmark,
      model: spec.model,
      label: spec.label,
      source: spec.source,
      status: spec.status ?? 'created',
      statusReason: null,
      config: spec.config ?? null,
      summary: null,
      createdAt: now,
      updatedAt: now,
      prompt: spec.prompt ?? null,
    };
    await onCommit?.(null, run); // before the row is kept: a failure leaves no run
    this.runs.push(run);
    return run;
  }

  async getRun(id: number) {
    return this.runs.find((r) => r.id === id) ?? null;
  }

  async findRun(benchmark: string, model: string, label: string) {
    return this.runs.find((r) => r.benchmark === benchmark && r.model === model && r.label === label) ?? null;
  }

  async listRuns() {
    return [...this.runs];
  }

  async updateRun(
    id: number,
    patch: { status?: RunStatus; statusReason?: string | null; summary?: unknown },
    onCommit?: CommitHook,
  ) {
    this.calls.push({ op: `updateRun:${patch.status ?? ''}` });
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new Error(`no run ${id}`);
    await onCommit?.(null, undefined); // before the change: a failure leaves the run as it was
    if (patch.status !== undefined) r.status = patch.status;
    if (patch.statusReason !== undefined) r.statusReason = patch.statusReason;
    if (patch.summary !== undefined) r.summary = structuredClone(patch.summary);
    r.updatedAt = new Date().toISOString();
  }

  async doneKeys(runId: number) {
    const out = new Set<string>();
    for (const [k, r] of this.results.get(runId) ?? []) if (r.outcome !== 'error') out.add(k);
    return out;
  }

  async deleteErrors(runId: number) {
    const m = this.results.get(runId);
    let n = 0;
    for (const [k, r] of m ?? []) {
      if (r.outcome === 'error') {
        m?.delete(k);
        n++;
      }
    }
    return n;
  }

  async deleteRun(runId: number) {
    this.results.delete(runId);
    const i = this.runs.findIndex((r) => r.id === runId);
    if (i >= 0) this.runs.splice(i, 1);
  }

  /** Ids of results: their insertion order. */
  private readonly ids = new Map<CanonicalRecord, number>();

  async resultWatermark() {
    return this.ids.size;
  }

  async deleteResultsAfter(runId: number, afterId: number) {
    const m = this.results.get(runId);
    let n = 0;
    for (const [k, r] of m ?? []) {
      if ((this.ids.get(r) ?? 0) > afterId) {
        m?.delete(k);
        n++;
      }
    }
    return n;
  }

  async close() {}

  rows(runId: number): CanonicalRecord[] {
    return [...(this.results.get(runId)?.values() ?? [])];
  }
}
