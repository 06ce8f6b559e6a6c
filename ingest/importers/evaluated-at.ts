/**
 * When an evaluation ran, as the harness file says, in ISO 8601 UTC (the run's `evaluated_at`): epoch
 * seconds (lm-eval's results `date`), or date-time text with an offset or a plain date (Inspect's
 * `eval.created`, promptfoo's `timestamp`, canonical `evaluated_at`). Anything else, or a date outside
 * 1970–9999 (what both stores keep), gives undefined: the run is then dated by its import.
 */
export function evaluatedAt(v: unknown): string | undefined {
  let ms: number;
  if (typeof v === 'number') ms = v * 1000;
  else if (typeof v === 'string' && OFFSET_OR_DATE.test(v.trim()) && exists(v.trim()))
    ms = Date.parse(v.trim());
  else return undefined;
  if (!Number.isFinite(ms) || ms < 0 || ms >= MAX_MS) return undefined;
  return new Date(ms).toISOString();
}

/** A date-time with Z or ±hh:mm, or a date alone (UTC): local times without an offset are ambiguous. */
const OFFSET_OR_DATE = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d))?$/i;
const MAX_MS = Date.UTC(10000, 0, 1);

/** Whether the written day and time exist: Date.parse rolls 2024-02-30 over to 2024-03-01 and T24:00 to the next day. */
function exists(s: string): boolean {
  const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))];
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return false;
  return s.length === 10 || Number(s.slice(11, 13)) <= 23;
}
