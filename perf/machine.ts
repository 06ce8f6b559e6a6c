/**
 * How busy the machine was while a figure was measured: the share of CPU time the hypervisor gave to
 * other guests (steal) and the share this machine's cores were busy, from /proc/stat between two laps.
 * On this shared virtual machine the same import took 7 s or 17 s within an hour; steal (7–23 % in
 * vmstat during the slowest runs) explained part of it, not all. Compare the ratios printed in one run;
 * these shares say whether two runs' absolute figures may be compared at all.
 */
import { readFileSync } from 'node:fs';

interface Jiffies {
  total: number;
  idle: number;
  steal: number;
}

function sample(): Jiffies | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu as number[];
    return {
      total: user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!,
      idle: idle! + iowait!,
      steal: steal!,
    };
  } catch {
    return null; // not Linux: no context to give
  }
}

/** `lap()`: "steal S %, busy B %" since the last lap (or the meter's start), or '' where /proc is absent. */
export function machineMeter(): { lap(): string } {
  let last = sample();
  return {
    lap() {
      const now = sample();
      const before = last;
      last = now;
      if (!now || !before || now.total === before.total) return '';
      const d = now.total - before.total;
      const pct = (x: number) => `${((100 * x) / d).toFixed(0)} %`;
      return `steal ${pct(now.steal - before.steal)}, busy ${pct(d - (now.idle - before.idle) - (now.steal - before.steal))}`;
    },
  };
}
