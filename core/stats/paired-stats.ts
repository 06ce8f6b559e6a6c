import { z } from 'zod';
import { betaPosterior, probAGreaterB } from './bayes.ts';
import { clusteredStderr } from './clustered.ts';
import { diffInterval } from './credible.ts';
import { zForLevel } from './distributions.ts';
import { pairedBinary, pairedTTest } from './paired.ts';
import { pairedBayes } from './paired-bayes.ts';
import { isLargeEnough, minDetectableDiff, minDetectableDiffPaired, pairedSampleSize } from './power.ts';

/** The statistics of one (A vs B, group) comparison on its paired item values: the answer's schema and type in one. */
export const PairedStatsSchema = z.object({
  n_paired: z.number(),
  accuracy_a: z.number().nullable(),
  accuracy_b: z.number().nullable(),
  /** accuracy_a − accuracy_b (= mean of the paired differences). */
  diff: z.number().nullable(),
  testable: z.boolean(),
  reason: z.string().nullable(),
  method: z.enum(['mcnemar_exact', 'paired_t']).nullable(),
  stderr: z.number().nullable(),
  stderr_method: z.enum(['paired', 'clustered']).nullable(),
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  p_value: z.number().nullable(),
  /** Discordant pairs (0/1 values only): A right and B wrong, A wrong and B right. */
  discordant: z.object({ a_only: z.number(), b_only: z.number() }).nullable(),
  bayes: z
    .object({ prob_a_greater_b: z.number(), diff_mean: z.number(), ci95: z.tuple([z.number(), z.number()]) })
    .nullable(),
  power: z
    .object({ mde: z.number().nullable(), mde_paired: z.number().nullable(), large_enough: z.boolean() })
    .nullable(),
  /**
   * Paired Bayesian A/B (0/1 values only): Dirichlet posterior over the paired 2×2 cells (paired-bayes.ts), the
   * row's model against its baseline: P(model better), the interval of model − baseline, and the accuracy
   * expected to be lost by choosing the model (or by keeping the baseline).
   */
  paired_bayes: z
    .object({
      prior: z.number(),
      prob_model_better: z.number(),
      diff_mean: z.number(),
      ci95: z.tuple([z.number(), z.number()]),
      expected_loss_model: z.number(),
      expected_loss_baseline: z.number(),
    })
    .nullable(),
  /** Whether n_paired items can detect target_difference (McNemar, 80 % power, level alpha; 0/1 values only). */
  sample_size: z
    .object({
      target_difference: z.number(),
      discordance: z.number(),
      /** Paired items needed; null when the observed discordance is 0 or below the target (no n is enough). */
      n_needed: z.number().nullable(),
      large_enough: z.boolean(),
    })
    .nullable(),
});
export type PairedStats = z.infer<typeof PairedStatsSchema>;
export type CompareMethod = NonNullable<PairedStats['method']>;

export interface PairedInput {
  /** Item values of A and B, index-aligned (the paired items only). */
  a: readonly number[];
  b: readonly number[];
  /** Cluster of each paired item when the benchmark declares a cluster field (null: its own cluster). */
  clusters: readonly (string | null)[] | null;
  alpha: number;
  /** Power and Bayes need accuracies (proportions); scores get neither. */
  metric: 'accuracy' | 'score';
  /** Compute the Bayesian A/B (1 to 10 ms a row). */
  bayes: boolean;
  /** The difference the paired sample-size check asks about (default 0.05). */
  targetDifference?: number;
}

/** Φ⁻¹(0.975) to full precision (the /analysis Wilson interval uses the rounded 1.959964). */
const Z = zForLevel(0.95);

const sum = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0);
const isBit = (v: number) => v === 0 || v === 1;

/**
 * Pure: the comparison of one group. 0/1 values on both sides → exact McNemar with the paired-difference
 * interval diff ± z·sd(d)/√n (Miller 2024 §4); otherwise (item means of several samples, or scores) the
 * paired t-test with its t interval. With clusters, the interval is diff ± z·SE_clustered (Miller 2024 eq. 4
 * on the differences); the p-value stays the test's.
 */
export function pairedStats(input: PairedInput): PairedStats {
  const { a, b, alpha, metric } = input;
  const n = a.length;
  const accA = n > 0 ? sum(a) / n : null;
  const accB = n > 0 ? sum(b) / n : null;
  const out: PairedStats = {
    n_paired: n,
    accuracy_a: accA,
    accuracy_b: accB,
    diff: accA !== null && accB !== null ? accA - accB : null,
    testable: false,
    reason: null,
    method: null,
    stderr: null,
    stderr_method: null,
    ci95: null,
    p_value: null,
    discordant: null,
    bayes: null,
    power: null,
    paired_bayes: null,
    sample_size: null,
  };
  if (n < 2) return { ...out, reason: `need at least 2 items scored for both models, have ${n}` };
  const binary = a.every(isBit) && b.every(isBit);
  let diff: number;
  let stderr: number;
  if (binary) {
    const r = pairedBinary(a as (0 | 1)[], b as (0 | 1)[], Z);
    if (!r.testable) return { ...out, reason: r.reason };
    diff = r.diff;
    stderr = r.stderr;
    out.method = 'mcnemar_exact';
    out.p_value = r.pValue;
    out.ci95 = [r.ci[0], r.ci[1]];
    out.discordant = { a_only: r.b, b_only: r.c };
  } else {
    const r = pairedTTest(a, b);
    if (!r.testable) return { ...out, method: 'paired_t', reason: r.reason };
    diff = r.meanDiff;
    stderr = r.stderr;
    out.method = 'paired_t';
    out.p_value = r.pValue;
    out.ci95 = [r.ci[0], r.ci[1]];
  }
  out.diff = diff;
  out.testable = true;
  out.stderr_method = 'paired';
  if (input.clusters) {
    const d = a.map((x, i) => x - b[i]!);
    const clusters = input.clusters.map((c, i) => (c === null ? `\u0000item${i}` : c));
    const se = clusteredStderr(d, clusters);
    if (se !== null) {
      stderr = se;
      out.stderr_method = 'clustered';
      out.ci95 = [diff - Z * se, diff + Z * se];
    }
  }
  out.stderr = stderr;
  if (metric === 'accuracy' && accB !== null) {
    if (binary && input.bayes) {
      const pa = betaPosterior(sum(a), n);
      const pb = betaPosterior(sum(b), n);
      const ci = diffInterval(pa, pb, 0.95);
      out.bayes = {
        prob_a_greater_b: probAGreaterB(pa, pb),
        diff_mean: pa.mean - pb.mean,
        ci95: [ci[0], ci[1]],
      };
    }
    const psi = out.discordant ? (out.discordant.a_only + out.discordant.b_only) / n : null;
    if (out.discordant && psi !== null) {
      if (input.bayes) {
        // paired-bayes' A is the baseline (b here), its B the row's model (a here)
        const both = a.reduce((s, x, i) => s + (x === 1 && b[i] === 1 ? 1 : 0), 0);
        const r = pairedBayes({
          both,
          onlyA: out.discordant.b_only,
          onlyB: out.discordant.a_only,
          neither: n - both - out.discordant.a_only - out.discordant.b_only,
        });
        out.paired_bayes = {
          prior: r.prior,
          prob_model_better: r.probBBeatsA,
          diff_mean: r.diffMean,
          ci95: r.ci,
          expected_loss_model: r.expectedLossB,
          expected_loss_baseline: r.expectedLossA,
        };
      }
      const target = input.targetDifference ?? 0.05;
      const needed = pairedSampleSize(target, psi, { alpha });
      out.sample_size = {
        target_difference: target,
        discordance: psi,
        n_needed: needed,
        large_enough: needed !== null && n >= needed,
      };
    }
    out.power = {
      mde: minDetectableDiff(n, accB, { alpha }),
      mde_paired: psi === null ? null : minDetectableDiffPaired(n, psi, { alpha }),
      large_enough: isLargeEnough(n, accB, diff, { alpha }),
    };
  }
  return out;
}
