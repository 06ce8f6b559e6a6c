import { spawn } from 'node:child_process';
import { type Command, parseCommandArgs } from '../command.ts';
import { CliError } from '../errors.ts';
import { serverHoldingFile } from '../remote.ts';

export const command: Command = {
  name: 'serve',
  summary: 'start the API server (same as npm start)',
  usage: 'usage: evalhouse serve\n\nStarts the API on HOST:PORT (see README for the environment variables).',
  async run(argv, config) {
    parseCommandArgs(argv, {}, false);
    const holder = await serverHoldingFile(config.duckdbPath);
    if (holder) {
      throw new CliError(
        `the evalhouse server at ${holder.url} (pid ${holder.pid}) already holds ${config.duckdbPath}`,
      );
    }
    const server = new URL('../../api/server.ts', import.meta.url).pathname;
    // node --import tsx: the server is this child itself (signals reach it, its pid is the advertised one)
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), server], {
      stdio: 'inherit',
    });
    // `docker stop` (SIGTERM) reaches only this process: pass it on, so the server closes gracefully (a
    // terminal's Ctrl-C reaches both; the server ignores the second signal)
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onInt = forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        resolve(code ?? 1);
      }),
    );
  },
};
