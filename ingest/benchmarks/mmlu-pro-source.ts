/**
 * MMLU-Pro's `src` has ~100 values (e.g. "ori_mmlu-business_ethics", "stemez-Business"); its origin before
 * the first "-" (ori_mmlu, stemez, theoremQA, scibench) groups well. The bundled definition and the bundled
 * results both derive their `source` field with this one rule, so the two agree.
 */
export function mmluProSource(src: string): string {
  return src.split('-')[0]!;
}
