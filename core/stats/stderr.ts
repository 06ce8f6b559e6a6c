import { mean, sampleStandardDeviation } from 'simple-statistics';

/**
 * Standard error of the mean as lm-evaluation-harness reports it (`mean_stderr`): sample standard deviation
 * (n − 1 denominator) over √n. For 0/1 data this is √(p̂(1−p̂)/(n−1)), slightly wider than the Bernoulli
 * √(p̂(1−p̂)/n). n < 2 → null.
 */
export function meanStderr(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  return sampleStandardDeviation(values as number[]) / Math.sqrt(values.length);
}

/** Mean with its stderr; mean is null for no values, stderr null below two. */
export function meanWithStderr(values: readonly number[]): {
  n: number;
  mean: number | null;
  stderr: number | null;
} {
  return {
    n: values.length,
    mean: values.length === 0 ? null : mean(values as number[]),
    stderr: meanStderr(values),
  };
}

/**
 * Sufficient statistics of a group, as SQL computes them: n = COUNT(x), sum = SUM(x − shift),
 * sumSq = SUM((x − shift)²). `shift` (default 0) is any constant near the data's centre; subtracting it in
 * SQL avoids the catastrophic cancellation of sumSq − sum²/n when values sit far from zero (the
 * "shifted data" algorithm, Chan, Golub & LeVeque 1983). For 0/1 accuracy no shift is needed.
 */
export type Sums = {
  readonly n: number;
  readonly sum: number;
  readonly sumSq: number;
  readonly shift?: number;
};

export type Summary = { n: number; mean: number | null; variance: number | null; stderr: number | null };

/** Mean, sample variance (n − 1) and stderr from sums. n = 0 → all null; n = 1 → variance and stderr null. */
export function fromSums({ n, sum, sumSq, shift = 0 }: Sums): Summary {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (n === 0) return { n, mean: null, variance: null, stderr: null };
  const shiftedMean = sum / n;
  const m = shift + shiftedMean;
  if (n === 1) return { n, mean: m, variance: null, stderr: null };
  // Σ(y − ȳ)² = Σy² − ȳ·Σy; rounding can leave a tiny negative where the true value is 0.
  const ss = Math.max(0, sumSq - shiftedMean * sum);
  const variance = ss / (n - 1);
  return { n, mean: m, variance, stderr: Math.sqrt(variance / n) };
}

/** Adds the sums of several groups (same shift) into the sums of their union: the roll-up of a SQL GROUP BY. */
export function addSums(parts: readonly Sums[]): Sums {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  const shift = parts[0]?.shift ?? 0;
  for (const p of parts) {
    if ((p.shift ?? 0) !== shift) throw new RangeError('cannot add sums taken with different shifts');
    n += p.n;
    sum += p.sum;
    sumSq += p.sumSq;
  }
  return { n, sum, sumSq, shift };
}
