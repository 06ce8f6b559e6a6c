import { describe, expect, it } from 'vitest';
import { missingChunks } from './enqueue.ts';
import { chunkJobId, chunksOf, isSchedulerOf, schedulerId } from './queue.ts';

describe('chunks of a queued run', () => {
  it('splits item keys in run order, the last chunk shorter', () => {
    const keys = Array.from({ length: 7 }, (_, i) => `q${i}`);
    expect(chunksOf(keys, 3)).toEqual([['q0', 'q1', 'q2'], ['q3', 'q4', 'q5'], ['q6']]);
    expect(chunksOf([], 3)).toEqual([]);
  });

  it('a chunk is missing while any sample of any of its items is not stored', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const stored = new Set(['a#0', 'a#1', 'b#0', 'b#1', 'c#0', 'c#1', 'd#0', 'd#1', 'e#0']);
    // chunks [a,b] [c,d] [e]: only e#1 is missing
    expect(missingChunks(keys, 2, 2, stored)).toEqual([{ chunk: 2, items: ['e'] }]);
    expect(missingChunks(keys, 2, 1, stored)).toEqual([]);
    expect(missingChunks(keys, 2, 3, stored).map((c) => c.chunk)).toEqual([0, 1, 2]);
  });

  it('job ids are derived from run and chunk (idempotent re-enqueue) and avoid BullMQ’s ":" separator', () => {
    expect(chunkJobId(12, 3)).toBe('run-12-chunk-3');
    expect(chunkJobId(12, 3)).toBe(chunkJobId(12, 3));
    expect(chunkJobId(12, 3)).not.toContain(':');
  });

  it('another workspace’s job and scheduler ids carry its id; default’s keep the plain form', () => {
    const ws = { id: 7, slug: 'team' };
    expect(chunkJobId(12, 3, ws)).toBe('ws-7-run-12-chunk-3');
    expect(chunkJobId(12, 3, { id: 1, slug: 'default' })).toBe('run-12-chunk-3');
    expect(schedulerId(4, ws)).toBe('ws-7-schedule-4');
    expect(schedulerId(4, null)).toBe('schedule-4');
    expect(isSchedulerOf('ws-7-schedule-4', ws)).toBe(true);
    expect(isSchedulerOf('schedule-4', ws)).toBe(false);
    expect(isSchedulerOf('ws-7-schedule-4', null)).toBe(false);
    expect(isSchedulerOf('ws-17-schedule-4', ws)).toBe(false);
  });
});
