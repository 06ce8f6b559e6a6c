/**
 * Test-only loader for the real MMLU-Redux results (14 models × 5,700 items). Parsed by hand (the file has no
 * quoted fields) so the tests depend on nothing but node:fs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA } from '../../../test/helpers/tmp.ts';

export type MmluRow = { model: string; itemId: string; predicted: string; correct: 0 | 1 | null };

export const MMLU_REDUX_CSV = join(SHARED_DATA, 'mmlu_redux', 'results.csv');

let cache: MmluRow[] | undefined;

export function loadMmluRedux(): MmluRow[] {
  if (cache) return cache;
  const lines = readFileSync(MMLU_REDUX_CSV, 'utf8').split(/\r?\n/);
  const header = lines.shift();
  if (header !== 'model,item_id,predicted,correct') throw new Error(`unexpected header ${header}`);
  const rows: MmluRow[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const parts = line.split(',');
    if (parts.length !== 4) throw new Error(`unexpected line ${line}`);
    const [model, itemId, predicted, correct] = parts as [string, string, string, string];
    rows.push({ model, itemId, predicted, correct: correct === '' ? null : correct === '1' ? 1 : 0 });
  }
  cache = rows;
  return rows;
}

/** Per model, a map item_id → 0/1/null. */
export function byModel(): Map<string, Map<string, 0 | 1 | null>> {
  const out = new Map<string, Map<string, 0 | 1 | null>>();
  for (const r of loadMmluRedux()) {
    let m = out.get(r.model);
    if (!m) {
      m = new Map();
      out.set(r.model, m);
    }
    m.set(r.itemId, r.correct);
  }
  return out;
}

/** Sorted item ids, and model names in file order. */
export function itemsAndModels(): { items: string[]; models: string[] } {
  const models = [...byModel().keys()];
  const items = [...new Set(loadMmluRedux().map((r) => r.itemId))].sort();
  return { items, models };
}
