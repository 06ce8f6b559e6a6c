/**
 * The bundled benchmark definitions (benchmarks/) and the bundled results (demo/) describe the same items:
 * the same metadata field names, and every definition item is an item of the results with the same metadata
 * and reference. Otherwise a run of a bundled benchmark registers fields the results lack (half-empty
 * groupings) or items whose metadata differs from the results'.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_DIR } from '../../api/demo.ts';
import type { MetaValue } from '../../core/types.ts';
import { canonicalImporter } from '../importers/canonical.ts';
import { loadBenchmark } from './load.ts';

/** Per item of a bundled results file: its metadata and reference (from the first record of the item). */
async function resultItems(file: string) {
  const items = new Map<string, { metadata: Record<string, MetaValue>; reference: string | null }>();
  const fields = new Set<string>();
  for await (const it of canonicalImporter.read(join(DEMO_DIR, file), {})) {
    if ('error' in it) throw new Error(JSON.stringify(it.error));
    const r = it.record;
    for (const k of Object.keys(r.metadata)) fields.add(k);
    if (!items.has(r.item_id)) items.set(r.item_id, { metadata: r.metadata, reference: r.reference ?? null });
  }
  return { items, fields };
}

describe.each([
  // mmlu-pro: a documented subset of the results' 12,032 questions (the definition says so)
  { slug: 'mmlu-pro', file: 'mmlu-pro.jsonl.gz', defItems: 280, resultItems: 12_032 },
  // mmlu-redux: the whole 5,700 items of MMLU-Redux 2.0 on both sides
  { slug: 'mmlu-redux', file: 'mmlu-redux.jsonl.gz', defItems: 5_700, resultItems: 5_700 },
])('bundled $slug: definition and results agree', ({ slug, file, defItems, resultItems: n }) => {
  it('same metadata fields; every definition item is a result item with the same metadata and reference', async () => {
    const def = await loadBenchmark(slug);
    const res = await resultItems(file);
    expect(def.items).toHaveLength(defItems);
    expect(res.items.size).toBe(n);
    expect(def.metadata.map((f) => f.name).sort()).toEqual([...res.fields].sort());
    const missing = def.items.filter((i) => !res.items.has(i.id)).map((i) => i.id);
    expect(missing).toEqual([]);
    for (const item of def.items) {
      const r = res.items.get(item.id)!;
      expect(item.metadata, item.id).toEqual(r.metadata);
      expect(item.reference, item.id).toBe(r.reference);
    }
    if (defItems < n) expect(def.description).toMatch(new RegExp(`subset.*${defItems}`));
  }, 120_000);
});
