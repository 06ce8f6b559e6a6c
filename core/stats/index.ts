/** The statistics library behind /analysis and /compare: pure functions, no I/O. See docs/statistics.md. */
export {
  type BayesAB,
  type BetaParams,
  bayesAB,
  betaPosterior,
  betaQuantile,
  diffCredibleInterval,
  probAGreaterB,
} from './bayes.ts';
export { clusteredStderr, resampledStderr } from './clustered.ts';
export { benjaminiHochberg, holm } from './corrections.ts';
export {
  binomialCdf,
  lnBeta,
  lnChoose,
  lnGamma,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  studentTTwoSided,
  zForLevel,
} from './distributions.ts';
export { type ItemAnalysisOptions, type ItemFlag, type ItemStats, itemAnalysis } from './item-analysis.ts';
export { type MajAtKResult, majAtK, majAtKItem, type VoteSample } from './maj-at-k.ts';
export { mcnemarExact } from './mcnemar.ts';
export { type PairedBinaryResult, type PairedTResult, pairedBinary, pairedTTest } from './paired.ts';
export { type PassAtKInput, type PassAtKResult, passAtK, passAtKItem } from './pass-at-k.ts';
export { isLargeEnough, minDetectableDiff, minDetectableDiffPaired, type PowerOptions } from './power.ts';
export { type RaschOptions, type RaschResult, raschJML } from './rasch.ts';
export { addSums, fromSums, meanStderr, meanWithStderr, type Summary, type Sums } from './stderr.ts';
export { type Binary, type Untestable, untestable } from './types.ts';
export { wilson, wilsonFromProportion, Z95 } from './wilson.ts';
