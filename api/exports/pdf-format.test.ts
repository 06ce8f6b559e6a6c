import { describe, expect, it } from 'vitest';
import { formatCell, formatPriority } from './pdf-format.ts';

const NNBSP = '\u202f';

describe('formatCell', () => {
  it.each([
    [0.612, 'share', '61.2 %'],
    [1, 'share', '100.0 %'],
    [0.013, 'signed_share', '+1.3 %'],
    [-0.2049, 'signed_share', '-20.5 %'],
    // A difference that rounds to zero shows no sign.
    [-0.0004, 'signed_share', '0.0 %'],
    [0.0123, 'pvalue', '0.0123'],
    [0.0001, 'pvalue', '0.0001'],
    [0.00009, 'pvalue', '< 0.0001'],
    [0, 'pvalue', '< 0.0001'],
    [1234567, 'count', `1${NNBSP}234${NNBSP}567`],
    [999, 'count', '999'],
    [1532.4, 'ms', `1${NNBSP}532`],
    [12.345, 'usd', '$12.35'],
    [0.43531, 'usd', '$0.4353'],
    [0.009263, 'number', '0.00926'],
    [12.3456, 'number', '12.3'],
    [123.456, 'number', '123.5'],
    [12345.6, 'number', `12${NNBSP}346`],
    [true, 'boolean', 'yes'],
    ['수학', 'text', '수학'],
    [null, 'share', '–'],
  ] as const)('%s as %s → %s', (value, format, text) => {
    expect(formatCell(value, format)).toBe(text);
  });

  it('keeps shares, differences and p-values ahead of counts, and those ahead of units', () => {
    expect(formatPriority('share')).toBeLessThan(formatPriority('count'));
    expect(formatPriority('pvalue')).toBeLessThan(formatPriority('count'));
    expect(formatPriority('count')).toBeLessThan(formatPriority('usd'));
    expect(formatPriority('usd')).toBeLessThan(formatPriority('text'));
  });
});
