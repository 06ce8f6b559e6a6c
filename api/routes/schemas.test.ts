import { describe, expect, it } from 'vitest';
import { modelList, modelsParam } from './schemas.ts';

describe('the models query parameter', () => {
  it('reads comma-separated names, trimmed, blanks left out, absent staying absent', () => {
    expect(modelList(' a ,,b/c:1 , ')).toEqual(['a', 'b/c:1']);
    expect(modelList(undefined)).toBeUndefined();
  });

  it('refuses an empty or oversized value and says what its absence means', () => {
    const p = modelsParam('every model with results');
    expect(p.safeParse('').success).toBe(false);
    expect(p.safeParse('x'.repeat(20_001)).success).toBe(false);
    expect(p.safeParse(undefined).success).toBe(true);
    expect(p.description).toBe('comma-separated model names (default: every model with results)');
  });
});
