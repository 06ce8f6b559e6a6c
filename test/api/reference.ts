import type { CanonicalRecord, MetaValue } from '../../core/types.ts';

/**
 * An independent, plain in-memory computation of /analysis rows, written from the formulas in the
 * README (not from the product's code): item means first, sample sd of item means / √items,
 * nearest-rank percentiles, NULL level values excluded.
 */
export interface RefRequest {
  benchmark: string;
  levels: string[];
  models?: string[];
  runs?: string[];
  filters?: Record<string, MetaValue[]>;
  unscored?: 'exclude' | 'wrong';
}

export interface RefRow {
  model: string;
  groups: Record<string, MetaValue>;
  n: number;
  n_items: number;
  n_samples: number;
  correct: number;
  unscored: number;
  errors: number;
  accuracy: number | null;
  stderr: number | null;
  mean_score: number | null;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  tokens_in: number | null;
  cost_usd: number | null;
}

const nearestRank = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
};

function meanSd(xs: number[]): { mean: number | null; se: number | null } {
  if (xs.length === 0) return { mean: null, se: null };
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean: m, se: null };
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

export function referenceAnalysis(
  records: CanonicalRecord[],
  req: RefRequest,
): { rows: RefRow[]; excluded: number } {
  const wrong = req.unscored === 'wrong';
  let excluded = 0;
  const groups = new Map<
    string,
    { model: string; groups: Record<string, MetaValue>; recs: CanonicalRecord[] }
  >();
  for (const r of records) {
    if (r.benchmark !== req.benchmark) continue;
    if (req.models && !req.models.includes(r.model)) continue;
    if (req.runs && !req.runs.includes(r.run ?? 'default')) continue;
    let pass = true;
    for (const [f, vals] of Object.entries(req.filters ?? {})) {
      const v = r.metadata[f];
      if (v === undefined || v === null || !vals.includes(v)) pass = false;
    }
    if (!pass) continue;
    const gv = req.levels.map((l) => r.metadata[l] ?? null);
    if (gv.some((v) => v === null)) {
      excluded++;
      continue;
    }
    const key = JSON.stringify([r.model, ...gv]);
    let g = groups.get(key);
    if (!g) {
      g = { model: r.model, groups: Object.fromEntries(req.levels.map((l, i) => [l, gv[i]!])), recs: [] };
      groups.set(key, g);
    }
    g.recs.push(r);
  }
  const rows: RefRow[] = [];
  for (const g of groups.values()) {
    const byItem = new Map<string, CanonicalRecord[]>();
    for (const r of g.recs) byItem.set(r.item_id, [...(byItem.get(r.item_id) ?? []), r]);
    const itemMeans: number[] = [];
    const itemScores: number[] = [];
    let n = 0;
    let correct = 0;
    for (const recs of byItem.values()) {
      const scored = recs.filter(
        (r) => r.outcome === 'correct' || r.outcome === 'incorrect' || (wrong && r.outcome === 'unscored'),
      );
      const c = scored.filter((r) => r.outcome === 'correct').length;
      n += scored.length;
      correct += c;
      if (scored.length > 0) itemMeans.push(c / scored.length);
      const sc = recs.map((r) => r.score).filter((s): s is number => s !== null);
      if (sc.length > 0) itemScores.push(sc.reduce((a, b) => a + b, 0) / sc.length);
    }
    const acc = meanSd(itemMeans);
    // latencies are kept to the microsecond (store/result-values.ts): written here from that rule, not imported
    const lat = g.recs
      .map((r) => r.latency_ms)
      .filter((x): x is number => x != null)
      .map((x) => Math.round(x * 1000) / 1000);
    const tok = g.recs.map((r) => r.tokens_in).filter((x): x is number => x != null);
    const cost = g.recs.map((r) => r.cost_usd).filter((x): x is number => x != null);
    rows.push({
      model: g.model,
      groups: g.groups,
      n,
      n_items: itemMeans.length,
      n_samples: g.recs.length,
      correct,
      unscored: g.recs.filter((r) => r.outcome === 'unscored').length,
      errors: g.recs.filter((r) => r.outcome === 'error').length,
      accuracy: acc.mean,
      stderr: acc.se,
      mean_score: meanSd(itemScores).mean,
      latency_ms_p50: nearestRank(lat, 0.5),
      latency_ms_p95: nearestRank(lat, 0.95),
      tokens_in: tok.length ? tok.reduce((a, b) => a + b, 0) : null,
      cost_usd: cost.length ? cost.reduce((a, b) => a + b, 0) : null,
    });
  }
  return { rows, excluded };
}

/** Compares numbers to 1e-9 relative, everything else exactly. */
export function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}
