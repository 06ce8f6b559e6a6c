/**
 * The independent readers the xlsx tests open workbooks with: openpyxl (Debian python3-openpyxl) and
 * LibreOffice headless (Debian libreoffice-calc-nogui). A missing tool fails the test under CI (which installs
 * them) and skips it, with a message, elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The first Python that imports openpyxl: a pyenv python3 first on PATH may lack the Debian package. */
export function findPython(): string | null {
  for (const py of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import openpyxl'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

export function findSoffice(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v soffice || command -v libreoffice'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Fails under CI, otherwise skips with a visible reason: never a silent pass. */
export function requireTool(found: string | null, what: string, skip: (note?: string) => void): string {
  if (found) return found;
  const message = `${what} not found (apt-get install -y --no-install-recommends libreoffice-calc-nogui python3-openpyxl)`;
  if (process.env.CI) throw new Error(`${message}: required under CI`);
  console.warn(`SKIPPED: ${message}`);
  skip(message);
  throw new Error('unreachable');
}

/** Runs a Python script with arguments and parses the JSON it prints. */
export function runPython<T>(python: string, script: string, args: string[]): T {
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Converts the files with LibreOffice headless into `outDir` (same stems, new extension), in a fresh user
 * profile so that parallel runs and a user's own LibreOffice do not collide. Returns its output.
 */
export function libreofficeConvert(soffice: string, files: string[], format: string, outDir: string): string {
  const profile = mkdtempSync(join(tmpdir(), 'lo-'));
  try {
    const r = spawnSync(
      soffice,
      [
        `-env:UserInstallation=file://${profile}`,
        '--headless',
        '--norestore',
        '--convert-to',
        format,
        '--outdir',
        outDir,
        ...files,
      ],
      { encoding: 'utf8', timeout: 180_000 },
    );
    if (r.status !== 0) throw new Error(`soffice failed (${r.status ?? r.signal}): ${r.stderr}\n${r.stdout}`);
    return `${r.stdout}${r.stderr}`;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
