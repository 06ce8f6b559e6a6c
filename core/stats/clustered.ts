import { mean } from 'simple-statistics';
import { meanStderr } from './stderr.ts';

/**
 * Clustered standard error of a mean (Miller 2024, "Adding Error Bars to Evals", arXiv:2411.00640, eq. 4):
 *   SE_clustered = √( SE_CLT² + (1/n²) Σ_c Σ_i Σ_{j≠i} (s_ic − s̄)(s_jc − s̄) )
 * with SE_CLT = sd(s)/√n (n − 1 denominator). The cross term is Σ_c [(Σ_i e_ic)² − Σ_i e_ic²], so the cost
 * is O(n). Singleton clusters add nothing: with one item per cluster this is SE_CLT.
 * n < 2 → null.
 */
export function clusteredStderr(
  values: readonly number[],
  clusters: readonly (string | number)[],
): number | null {
  if (values.length !== clusters.length)
    throw new RangeError('values and clusters must have the same length');
  const n = values.length;
  const clt = meanStderr(values);
  if (clt === null) return null;
  const m = mean(values as number[]);
  const byCluster = new Map<string | number, { s: number; s2: number }>();
  for (let i = 0; i < n; i++) {
    const e = values[i]! - m;
    const acc = byCluster.get(clusters[i]!) ?? { s: 0, s2: 0 };
    acc.s += e;
    acc.s2 += e * e;
    byCluster.set(clusters[i]!, acc);
  }
  let cross = 0;
  for (const { s, s2 } of byCluster.values()) cross += s * s - s2;
  return Math.sqrt(Math.max(0, clt * clt + cross / (n * n)));
}

/**
 * Resampled items (Miller 2024 §3.2): when each item was answered K_i times, average the samples of each item
 * first, then take the mean and the CLT stderr over the item means. Every item weighs 1 whatever its K_i.
 * Items with no samples are skipped. Fewer than 2 items → stderr null.
 */
export function resampledStderr(samplesPerItem: readonly (readonly number[])[]): {
  items: number;
  mean: number | null;
  stderr: number | null;
} {
  const itemMeans = samplesPerItem.filter((s) => s.length > 0).map((s) => mean(s as number[]));
  return {
    items: itemMeans.length,
    mean: itemMeans.length === 0 ? null : mean(itemMeans),
    stderr: meanStderr(itemMeans),
  };
}
