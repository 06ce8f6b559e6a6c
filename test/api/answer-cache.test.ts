import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../api/analysis/cache.ts';

describe('AnswerCache', () => {
  it('evicts the least recently used entries past its byte bound, and counts bytes per version', () => {
    const c = new AnswerCache<string>(100, 10);
    expect(c.get('v1', 'a')).toBeUndefined(); // a lookup sets the version answers are stored under
    c.set('v1', 'a', 'A', 4);
    c.set('v1', 'b', 'B', 4);
    expect(c.get('v1', 'a')).toBe('A'); // a is now the newest
    c.set('v1', 'c', 'C', 4); // 12 > 10: b, the least recently used, goes
    expect(c.get('v1', 'b')).toBeUndefined();
    expect(c.get('v1', 'a')).toBe('A');
    expect(c.get('v1', 'c')).toBe('C');
    expect(c.heldBytes).toBe(8);
    c.set('v1', 'c', 'C2', 2); // replacing an entry counts its new size only
    expect(c.heldBytes).toBe(6);
    // one entry larger than the bound is kept (the answer just computed), alone
    c.set('v1', 'big', 'BIG', 50);
    expect(c.get('v1', 'a')).toBeUndefined();
    expect(c.get('v1', 'big')).toBe('BIG');
    expect(c.heldBytes).toBe(50);
    // a new data version empties the cache and its byte count
    expect(c.get('v2', 'big')).toBeUndefined();
    expect(c.heldBytes).toBe(0);
  });

  it('keeps its entry bound when no sizes are given', () => {
    const c = new AnswerCache<number>(2);
    c.get('v', 'x');
    for (const [i, k] of ['x', 'y', 'z'].entries()) c.set('v', k, i);
    expect(c.get('v', 'x')).toBeUndefined();
    expect([c.get('v', 'y'), c.get('v', 'z')]).toEqual([1, 2]);
    expect(c.hits).toBe(2);
    expect(c.misses).toBe(2);
  });
});
