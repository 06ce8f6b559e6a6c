import type { Cell, ColumnFormat } from './document.ts';

/**
 * How the PDF shows a cell: text for a reader, not for a program (the attached CSV and the xlsx keep the raw
 * numbers). Groups of thousands are separated by a narrow no-break space (U+202F, the SI thin grouping), so a
 * count never reads as a decimal in any locale and never breaks across a line.
 */
const THIN = '\u202f';
// Built once: an Intl.NumberFormat costs a tenth of a millisecond to make, a report formats thousands of cells.
const FORMATS = [0, 2, 4].map(
  (digits) =>
    new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
);
const grouped = (v: number, fractionDigits: 0 | 2 | 4 = 0): string =>
  FORMATS[fractionDigits / 2]!.format(v).replaceAll(',', THIN);

export const EMPTY_CELL = '–';

export function formatCell(value: Cell, format: ColumnFormat): string {
  if (value === null) return EMPTY_CELL;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || !Number.isFinite(value)) return String(value);
  switch (format) {
    case 'text':
      return String(value);
    case 'boolean':
      return value ? 'yes' : 'no';
    case 'share':
      return `${(value * 100).toFixed(1)} %`;
    case 'signed_share': {
      // The sign of what is shown: a difference that rounds to 0.0 gets none.
      const shown = (Math.abs(value) * 100).toFixed(1);
      const sign = Number(shown) === 0 ? '' : value > 0 ? '+' : '-';
      return `${sign}${shown} %`;
    }
    case 'pvalue':
      return value < 0.0001 ? '< 0.0001' : value.toFixed(4);
    case 'count':
    case 'ms':
    case 'tokens':
      return grouped(value);
    case 'usd':
      return `$${grouped(value, Math.abs(value) >= 1 ? 2 : 4)}`;
    case 'number':
      if (Number.isInteger(value) || Math.abs(value) >= 1000) return grouped(value);
      return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(3);
    default: {
      const never: never = format;
      return String(never);
    }
  }
}

/** Numbers are right-aligned so that their digits line up. */
export const isNumeric = (format: ColumnFormat): boolean => format !== 'text' && format !== 'boolean';

/**
 * Which measure columns a narrow page keeps first: shares (accuracy and its bounds) and differences with their
 * p-values carry the answer; counts say how much it rests on; durations, tokens and money come last.
 */
const PRIORITY: Record<ColumnFormat, number> = {
  share: 0,
  signed_share: 1,
  pvalue: 2,
  count: 3,
  number: 4,
  ms: 5,
  tokens: 5,
  usd: 5,
  boolean: 6,
  text: 7,
};
export const formatPriority = (format: ColumnFormat): number => PRIORITY[format];
