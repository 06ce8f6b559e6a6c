import { describe, expect, it } from 'vitest';
import { formatProgress, formatSummary, progressPrinter } from './progress.ts';
import type { ProgressSnapshot } from './stats.ts';
import { accuracyOf } from './stats.ts';

const snap = (over: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  runId: 7,
  label: 'r',
  status: 'running',
  done: 250,
  total: 1000,
  doneBefore: 50,
  inFlight: 8,
  correct: 150,
  incorrect: 50,
  unscored: 0,
  errors: 2,
  tokensIn: 1000,
  tokensOut: 500,
  costUsd: 0.0123,
  durationMs: 20_000,
  accuracy: 0.75,
  stderr: Math.sqrt((0.75 * 0.25) / 200),
  scored: 200,
  itemsPerSec: 10,
  etaSec: 75,
  elapsedMs: 20_000,
  ...over,
});

describe('progress', () => {
  it('computes binomial accuracy and stderr over scored samples only', () => {
    expect(accuracyOf(150, 50)).toEqual({ accuracy: 0.75, stderr: Math.sqrt(0.1875 / 200), n: 200 });
    expect(accuracyOf(0, 0)).toEqual({ accuracy: null, stderr: null, n: 0 });
  });
  it('formats done/total, rate, ETA, accuracy ± stderr, errors, tokens and cost', () => {
    expect(formatProgress(snap())).toBe(
      '250/1000 (25.0%) · 10.0 items/s · ETA 1m15s · accuracy 75.0% ± 3.1 (n=200) · errors 2 · tokens 1000/500 · $0.0123',
    );
  });
  it('redraws one line on a TTY and prints periodic plain lines elsewhere', () => {
    const tty: string[] = [];
    const p1 = progressPrinter({ isTTY: true, write: (s) => tty.push(s) });
    p1(snap());
    p1(snap({ status: 'completed' }));
    expect(tty[0]?.startsWith('\r\x1b[2K250/1000')).toBe(true);
    expect(tty[1]?.endsWith('\n')).toBe(true);
    const plain: string[] = [];
    const p2 = progressPrinter({ isTTY: false, write: (s) => plain.push(s) }, 60_000);
    p2(snap());
    p2(snap({ done: 260 }));
    p2(snap({ status: 'paused' }));
    expect(plain).toHaveLength(2);
    expect(plain[0]).toMatch(/^\[run #7\] 250\/1000/);
  });
  it('summarizes with errors apart from wrong answers', () => {
    const s = formatSummary(snap({ status: 'completed' }), 'completed', null);
    expect(s).toMatch(/run #7 "r": completed/);
    expect(s).toMatch(/correct 150, incorrect 50, unscored 0, errors 2 \(errors are not counted wrong\)/);
    expect(s).toMatch(/note: 48 result\(s\) stored by an interrupted session/);
  });
});
