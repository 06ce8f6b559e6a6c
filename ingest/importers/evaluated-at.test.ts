import { describe, expect, it } from 'vitest';
import { evaluatedAt } from './evaluated-at.ts';

describe('evaluatedAt', () => {
  it('reads dates and date-times with an offset as UTC', () => {
    expect(evaluatedAt('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(evaluatedAt('2024-01-15T23:30:00-05:00')).toBe('2024-01-16T04:30:00.000Z');
    expect(evaluatedAt('2024-12-31T23:59:59Z')).toBe('2024-12-31T23:59:59.000Z');
  });

  // Date.parse rolls these over (2024-02-30 -> 2024-03-01, T24:00 -> the next day): a run would be
  // dated silently on a day the file never said
  it.each(['2024-02-30', '2023-02-29', '2024-04-31T10:00:00+02:00', '2024-01-01T24:00:00Z'])(
    'refuses the calendar date or time that does not exist: %s',
    (s) => {
      expect(evaluatedAt(s)).toBeUndefined();
    },
  );
});
