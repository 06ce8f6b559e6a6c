import { type ItemFlag, itemAnalysis } from '../../core/stats/item-analysis.ts';
import { raschJML } from '../../core/stats/rasch.ts';
import type { MetaValue } from '../../core/types.ts';
import { decodeValue } from '../../store/field-types.ts';
import { groupable } from '../analysis/catalog-view.ts';
import { queryOver, resolveBenchmark, resolveField, resolveRuns } from '../analysis/resolve.ts';
import type { AnalysisService } from '../analysis/service.ts';
import { compileItemValues } from './compile.ts';

export interface ItemsQuery {
  benchmark: string;
  models?: string[] | undefined;
  min_models: number;
  by?: string | undefined;
  flag?: ItemFlag | undefined;
  sort: 'discrimination' | 'difficulty' | 'split' | 'item';
  limit: number;
  offset: number;
  engine: 'duckdb' | 'mysql';
}

export interface ItemRow {
  item: string;
  n_models: number;
  difficulty: number | null;
  discrimination: number | null;
  rasch_difficulty: number | null;
  rasch_difficulty_se: number | null;
  flags: ItemFlag[];
  metadata: Record<string, MetaValue>;
}

const FLAGS: ItemFlag[] = ['all_fail', 'all_pass', 'inverted'];

/**
 * Classical item analysis and a Rasch fit over the models × items matrix of a benchmark. An item's value for
 * a model is 1 when most of its scored samples are correct, 0 when most are wrong, missing on a tie (with one
 * sample per item: the outcome itself). Items answered by fewer than min_models models are left out.
 */
export async function analyzeItems(service: AnalysisService, query: ItemsQuery) {
  const t0 = performance.now();
  // the fit is cached by what it depends on, so another flag, order or page of it costs only the slicing
  const { benchmark, models, min_models, by, engine } = query;
  const { value } = await service.cached('items', { benchmark, models, min_models, by, engine }, () =>
    computeItems(service, query),
  );
  const { all, ...fit } = value;
  const selected = query.flag ? all.filter((i) => i.flags.includes(query.flag!)) : all;
  // split: |difficulty − ½|, the items the models disagree on most first (all right or all wrong last)
  const key = (i: ItemRow) =>
    query.sort === 'difficulty'
      ? i.difficulty
      : query.sort === 'split'
        ? i.difficulty === null
          ? null
          : Math.abs(i.difficulty - 0.5)
        : i.discrimination;
  const sorted =
    query.sort === 'item'
      ? selected
      : [...selected].sort((x, y) => {
          const a = key(x);
          const c = key(y);
          if (a === null || c === null) return a === c ? 0 : a === null ? 1 : -1;
          return a - c;
        });
  return {
    benchmark: fit.benchmark,
    models: fit.models,
    total_items: fit.total_items,
    matching_items: selected.length,
    flagged: fit.flagged,
    by: fit.by,
    limit: query.limit,
    offset: query.offset,
    items: sorted.slice(query.offset, query.offset + query.limit),
    rasch: fit.rasch,
    meta: { ...fit.meta, elapsed_ms: performance.now() - t0 },
  };
}

/** The fit over every item (the items in item-id order), before any flag, order or page is applied. */
async function computeItems(
  service: AnalysisService,
  query: Omit<ItemsQuery, 'flag' | 'sort' | 'limit' | 'offset'>,
) {
  const t0 = performance.now();
  const engine = service.engine(query.engine);
  const view = await service.catalog();
  const b = resolveBenchmark(view, query.benchmark);
  const byField = query.by === undefined ? null : resolveField(b, query.by, 'by field');
  const q = queryOver(b, resolveRuns(view, b, query.models), { perItem: true });
  const { sql, params } = compileItemValues(q, engine.name, 'accuracy');
  const raw = await service.run<Record<string, unknown>>(engine, sql, params);
  const fields = groupable(b);
  // WARNING: identifiers are our generated m<col> columns (col an integer 0..15); the benchmark id is bound.
  // Shape: `SELECT id, item_key, m0, m3 FROM items WHERE benchmark_id = ?`.
  const metaSql = `SELECT id, item_key${fields.map((f) => `, m${Math.trunc(f.col!)}`).join('')} FROM items WHERE benchmark_id = ?`;
  const meta = await service.run<Record<string, unknown>>(engine, metaSql, [b.id]);

  const modelIds = [...new Set(raw.map((r) => Number(r.model)))].sort((x, y) =>
    (view.modelName.get(x) ?? '') < (view.modelName.get(y) ?? '') ? -1 : 1,
  );
  const mIndex = new Map(modelIds.map((m, i) => [m, i]));
  const byItem = new Map<number, (0 | 1 | null)[]>();
  for (const r of raw) {
    const id = Number(r.item_id);
    let row = byItem.get(id);
    if (!row) {
      row = new Array(modelIds.length).fill(null);
      byItem.set(id, row);
    }
    const k = Number(r.k);
    const c = Number(r.c);
    row[mIndex.get(Number(r.model))!] = 2 * c > k ? 1 : 2 * c < k ? 0 : null;
  }
  const itemIds = [...byItem.keys()]
    .filter((id) => byItem.get(id)!.filter((v) => v !== null).length >= query.min_models)
    .sort((x, y) => x - y);
  const matrix = modelIds.map((_, m) => itemIds.map((id) => byItem.get(id)![m]!));
  const stats = itemAnalysis(matrix);
  const rasch = raschJML(matrix);
  const metaById = new Map(meta.map((r) => [Number(r.id), r]));
  const items: ItemRow[] = itemIds.map((id, j) => {
    const m = metaById.get(id);
    const metadata: Record<string, MetaValue> = {};
    for (const f of fields) {
      const v = m?.[`m${f.col}`];
      metadata[f.name] = decodeValue(v === null || v === undefined ? null : String(v), f.type);
    }
    const s = stats[j]!;
    return {
      item: m ? String(m.item_key) : String(id),
      n_models: s.n,
      difficulty: s.difficulty,
      discrimination: s.pointBiserial,
      rasch_difficulty: rasch.difficulties[j] ?? null,
      rasch_difficulty_se: rasch.difficultySe[j] ?? null,
      flags: s.flags,
      metadata,
    };
  });
  const models = modelIds.map((id, i) => {
    let n = 0;
    let correct = 0;
    for (const v of matrix[i]!) {
      if (v === null) continue;
      n++;
      correct += v;
    }
    return {
      model: view.modelName.get(id) ?? String(id),
      n_items: n,
      accuracy: n > 0 ? correct / n : null,
      ability: rasch.abilities[i] ?? null,
      ability_se: rasch.abilitySe[i] ?? null,
      excluded_reason: rasch.excludedModels.find((e) => e.index === i)?.reason ?? null,
    };
  });
  const flagged = Object.fromEntries(FLAGS.map((f) => [f, items.filter((i) => i.flags.includes(f)).length]));
  let by = null;
  if (byField) {
    // suspect: all_fail or inverted (all_pass items are easy, not suspicious of a wrong label)
    const groups = new Map<
      string,
      { value: MetaValue; items: number; suspect: number } & Record<ItemFlag, number>
    >();
    for (const it of items) {
      const value = it.metadata[byField.name] ?? null;
      const key = JSON.stringify(value);
      const g = groups.get(key) ?? { value, items: 0, suspect: 0, all_fail: 0, all_pass: 0, inverted: 0 };
      g.items++;
      if (it.flags.includes('all_fail') || it.flags.includes('inverted')) g.suspect++;
      for (const f of it.flags) g[f]++;
      groups.set(key, g);
    }
    by = {
      field: byField.name,
      groups: [...groups.values()]
        .map((g) => ({ ...g, suspect_share: g.suspect / g.items }))
        .sort((x, y) => y.suspect_share - x.suspect_share || y.items - x.items),
    };
  }
  return {
    benchmark: b.slug,
    models,
    total_items: items.length,
    flagged,
    by,
    all: items,
    rasch: {
      converged: rasch.converged,
      iterations: rasch.iterations,
      excluded_items: rasch.excludedItems.length,
    },
    meta: {
      engine: engine.name,
      elapsed_ms: performance.now() - t0,
      data_version: service.dataVersion,
      method:
        "value per (model, item): 1 when most of the item's scored samples are correct, 0 when most are wrong, " +
        'missing on a tie; difficulty = share of models right; discrimination = corrected item–total ' +
        "point-biserial (Pearson r of the item's 0/1 with each model's accuracy on the other items; Crocker & " +
        'Algina 1986); flags: all_fail, all_pass, inverted (discrimination < −0.2); Rasch (1PL) by joint maximum ' +
        'likelihood, SEs from the Fisher information (abilities centred on item difficulties of mean 0)',
    },
  };
}
