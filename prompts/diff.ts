/**
 * The difference between two versions of a prompt: a line diff (the `diff` package's diffLines) of the
 * system and the user text, and of the parameters and variables, one line per key (`key: value` as JSON),
 * so a changed temperature is one removed and one added line.
 */
import { diffLines } from 'diff';
import type { PromptVersion } from './types.ts';

/** A run of lines the same in both (`=`), only in `from` (`-`) or only in `to` (`+`). */
export interface DiffPart {
  op: '=' | '-' | '+';
  lines: string[];
}

export interface PartDiff {
  changed: boolean;
  parts: DiffPart[];
}

export interface VersionDiff {
  from: number;
  to: number;
  system: PartDiff;
  user: PartDiff;
  params: PartDiff;
  variables: PartDiff;
}

/** One line per key, keys sorted: what the parameters' diff compares. */
const keyLines = (o: Record<string, unknown>): string =>
  Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${k}: ${JSON.stringify(o[k])}\n`)
    .join('');

export function lineDiff(a: string, b: string): PartDiff {
  const parts: DiffPart[] = diffLines(a, b).map((c) => {
    const lines = c.value.split('\n');
    if (lines.at(-1) === '') lines.pop(); // the text's last newline ends its last line
    return { op: c.added ? '+' : c.removed ? '-' : '=', lines };
  });
  return { changed: parts.some((p) => p.op !== '='), parts };
}

export function diffVersions(a: PromptVersion, b: PromptVersion): VersionDiff {
  return {
    from: a.version,
    to: b.version,
    system: lineDiff(a.system ?? '', b.system ?? ''),
    user: lineDiff(a.user, b.user),
    params: lineDiff(
      keyLines(a.params as Record<string, unknown>),
      keyLines(b.params as Record<string, unknown>),
    ),
    variables: lineDiff(a.variables.map((v) => `${v}\n`).join(''), b.variables.map((v) => `${v}\n`).join('')),
  };
}
