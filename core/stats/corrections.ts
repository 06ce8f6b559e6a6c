/**
 * Multiple-testing corrections. Entries that are null, undefined or not a finite number in [0, 1] (untestable
 * groups) are left out of the family (m counts only real p-values) and come back as null, in place.
 * Ties are handled as R's p.adjust does.
 */

type P = number | null | undefined;

function family(pValues: readonly P[]): { i: number; p: number }[] {
  const out: { i: number; p: number }[] = [];
  pValues.forEach((p, i) => {
    if (typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1) out.push({ i, p });
  });
  // Stable sort keeps input order among ties, as R's order() does.
  return out.sort((a, b) => a.p - b.p);
}

/**
 * Holm (1979) step-down adjusted p-values: with p_(1) ≤ … ≤ p_(m),
 * p̃_(j) = min(1, max_{l ≤ j} (m − l + 1)·p_(l)). Controls the family-wise error rate.
 */
export function holm(pValues: readonly P[]): (number | null)[] {
  const fam = family(pValues);
  const m = fam.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 0;
  fam.forEach(({ i, p }, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    out[i] = running;
  });
  return out;
}

/**
 * Benjamini–Hochberg (1995) step-up adjusted p-values (q-values): p̃_(j) = min(1, min_{l ≥ j} m·p_(l)/l).
 * Controls the false discovery rate under independence or positive dependence.
 */
export function benjaminiHochberg(pValues: readonly P[]): (number | null)[] {
  const fam = family(pValues);
  const m = fam.length;
  const out: (number | null)[] = pValues.map(() => null);
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    const { i, p } = fam[j]!;
    running = Math.min(running, (m * p) / (j + 1));
    out[i] = running;
  }
  return out;
}
