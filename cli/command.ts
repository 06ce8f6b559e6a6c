import type { Config } from '../core/config.ts';

/** One CLI subcommand. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], config: Config): Promise<number>;
}

/** Thrown for bad command-line usage: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}
