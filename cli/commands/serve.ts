import { spawn } from 'node:child_process';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../main.ts';

export const command: Command = {
  name: 'serve',
  summary: 'start the API server (same as npm start)',
  usage: 'usage: evalhouse serve\n\nStarts the API on HOST:PORT (see README for the environment variables).',
  async run(argv) {
    parseCommandArgs(argv, {}, false);
    const server = new URL('../../api/server.ts', import.meta.url).pathname;
    const tsx = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    const child = spawn(process.execPath, [tsx, server], { stdio: 'inherit' });
    return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  },
};
