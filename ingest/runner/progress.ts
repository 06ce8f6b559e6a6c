import type { ProgressSnapshot } from './stats.ts';

function duration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatAccuracy(p: Pick<ProgressSnapshot, 'accuracy' | 'stderr' | 'scored'>): string {
  if (p.accuracy === null || p.stderr === null) return 'accuracy –';
  return `accuracy ${(p.accuracy * 100).toFixed(1)}% ± ${(p.stderr * 100).toFixed(1)} (n=${p.scored})`;
}

const usd = (x: number) => `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;

/** One line: done/total, rate, ETA, accuracy ± stderr, errors, tokens, cost. */
export function formatProgress(p: ProgressSnapshot): string {
  const pct = p.total > 0 ? ((p.done / p.total) * 100).toFixed(1) : '100.0';
  return [
    `${p.done}/${p.total} (${pct}%)`,
    `${p.itemsPerSec.toFixed(1)} items/s`,
    `ETA ${duration(p.etaSec)}`,
    formatAccuracy(p),
    `errors ${p.errors}`,
    `tokens ${p.tokensIn}/${p.tokensOut}`,
    usd(p.costUsd),
    ...(p.status === 'stopping' ? [`stopping, ${p.inFlight} in flight`] : []),
  ].join(' · ');
}

export interface ProgressOut {
  write(s: string): unknown;
  isTTY?: boolean | undefined;
}

/**
 * On a TTY the line is redrawn in place on every tick; elsewhere (CI, a log file) a plain line is printed
 * every `plainEveryMs`.
 */
export function progressPrinter(out: ProgressOut, plainEveryMs = 10_000): (p: ProgressSnapshot) => void {
  let last = -Infinity;
  return (p) => {
    const final = p.status !== 'running' && p.status !== 'stopping';
    if (out.isTTY) {
      out.write(`\r\x1b[2K${formatProgress(p)}${final ? '\n' : ''}`);
      return;
    }
    const now = performance.now();
    if (final || now - last >= plainEveryMs) {
      last = now;
      out.write(`[run #${p.runId}] ${formatProgress(p)}\n`);
    }
  };
}

/** The end-of-run summary. */
export function formatSummary(p: ProgressSnapshot, status: string, reason: string | null): string {
  const lines = [
    `run #${p.runId} "${p.label}": ${status}${reason ? ` (${reason})` : ''}`,
    `  ${formatAccuracy(p)}; correct ${p.correct}, incorrect ${p.incorrect}, unscored ${p.unscored}, errors ${p.errors} (errors are not counted wrong)`,
    `  stored ${p.done}/${p.total}; this session ${p.done - p.doneBefore} in ${duration(p.elapsedMs / 1000)} (${p.itemsPerSec.toFixed(1)} items/s)`,
    `  tokens in ${p.tokensIn}, out ${p.tokensOut}; cost ${usd(p.costUsd)}; asking time over all sessions ${duration(p.durationMs / 1000)}`,
  ];
  const counted = p.correct + p.incorrect + p.unscored + p.errors;
  if (counted < p.done) {
    lines.push(
      `  note: ${p.done - counted} result(s) stored by an interrupted session are not in these counts; /analysis has exact figures`,
    );
  }
  return lines.join('\n');
}
