import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Scratch folders of uploads and mirror pages (in core/: the store's mirror, the importers, the API and the
 * CLI all make them, and the store imports nothing from ingest/): `evalhouse-<kind>-<pid>-XXXXXX` in the system's temporary
 * folder. The pid lets a starting server remove what a crashed process left, and nothing a live one uses.
 */
export type ScratchKind = 'import' | 'mirror' | 'lmeval' | 'upload' | 'export';
/** import: POST /imports bodies; mirror: the mirror's CSV pages; lmeval: an unpacked lm-eval zip; upload: the CLI's zip of one. */
const KINDS: ScratchKind[] = ['import', 'mirror', 'lmeval', 'upload'];
const OURS = /^evalhouse-(import|mirror|lmeval|upload)-(\d+)-[A-Za-z0-9]{6}$/;
/** Names before the pid was part of them: their owner is unknown, only their age tells. */
const LEGACY = /^evalhouse-(import|mirror|lmeval|upload)-[A-Za-z0-9]{6}$/;

export function makeScratchDir(kind: ScratchKind): string {
  return mkdtempSync(join(tmpdir(), `evalhouse-${kind}-${process.pid}-`));
}

/** When the process with this pid started (ms since the epoch), or null when none runs. */
function startedAt(pid: number): number | null {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return null;
  }
  try {
    // Linux: field 22 of /proc/PID/stat is the start in clock ticks (100 a second) after boot (btime)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : 0;
  } catch {
    return 0; // alive (or not ours to signal), start unknown: keep its folders
  }
}

const processStart = Date.now() - process.uptime() * 1000;

/**
 * Removes scratch folders of processes that no longer run (or whose pid a newer process took), and
 * legacy-named ones older than this process. Returns the names removed.
 */
export function cleanStaleScratch(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!KINDS.some((k) => name.startsWith(`evalhouse-${k}-`))) continue;
    const path = join(dir, name);
    let stale = false;
    try {
      const born = statSync(path).birthtimeMs || statSync(path).ctimeMs;
      const m = OURS.exec(name);
      if (m) {
        const pid = Number(m[2]);
        if (pid !== process.pid) {
          const start = startedAt(pid);
          stale = start === null || (start > 0 && born < start - 1000);
        }
      } else if (LEGACY.test(name)) stale = born < processStart;
    } catch {
      continue; // gone meanwhile
    }
    if (stale) {
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}
