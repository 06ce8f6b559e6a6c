import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordStore } from '../core/store.ts';
import { importFile } from '../ingest/import-file.ts';

export const DEMO_DIR = new URL('../demo/', import.meta.url).pathname;

/**
 * Loads the bundled real results (demo/*.jsonl.gz, see demo/README.md) into an empty store, so a
 * new user sees real models on real benchmarks at once. A store that has any run is left alone.
 */
export async function loadDemoData(
  store: RecordStore,
  log: (msg: string) => void = console.log,
): Promise<number> {
  if ((await store.listRuns()).length > 0) return 0;
  if (!existsSync(DEMO_DIR)) return 0;
  const files = readdirSync(DEMO_DIR)
    .filter((f) => f.endsWith('.jsonl.gz'))
    .sort();
  let rows = 0;
  for (const f of files) {
    const s = await importFile(store, join(DEMO_DIR, f), { format: 'canonical' });
    if (!s.committed)
      throw new Error(`bundled demo file ${f} did not import: ${JSON.stringify(s.errors.slice(0, 3))}`);
    rows += s.inserted;
    log(
      `demo data: ${f}: ${s.inserted} results (${s.runs} runs, ${s.models} models) in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    );
  }
  return rows;
}
