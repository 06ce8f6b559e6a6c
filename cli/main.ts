import { ConfigError, loadConfig } from '../core/config.ts';
import { type Command, UsageError } from './command.ts';
import { CliError, describeError, stackOf } from './errors.ts';

/** Add a command: write cli/commands/<name>.ts exporting `command`, and list it here. */
const loaders: Record<string, () => Promise<{ command: Command }>> = {
  migrate: () => import('./commands/migrate.ts'),
  import: () => import('./commands/import.ts'),
  export: () => import('./commands/export.ts'),
  mirror: () => import('./commands/mirror.ts'),
  serve: () => import('./commands/serve.ts'),
  benchmarks: () => import('./commands/benchmarks.ts'),
  models: () => import('./commands/models.ts'),
  run: () => import('./commands/run.ts'),
  runs: () => import('./commands/runs.ts'),
  worker: () => import('./commands/worker.ts'),
  schedule: () => import('./commands/schedule.ts'),
  workspaces: () => import('./commands/workspaces.ts'),
  orgs: () => import('./commands/orgs.ts'),
  users: () => import('./commands/users.ts'),
  keys: () => import('./commands/keys.ts'),
};

async function main(args: string[]): Promise<number> {
  // --verbose (anywhere) adds the stack to the one line an ordinary mistake prints
  const verbose = args.includes('--verbose');
  const argv = args.filter((a) => a !== '--verbose');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const cmds = await Promise.all(Object.entries(loaders).map(async ([, load]) => (await load()).command));
    console.log('usage: evalhouse <command> [options] [--verbose]\n\ncommands:');
    for (const c of cmds) console.log(`  ${c.name.padEnd(12)} ${c.summary}`);
    console.log("\n`evalhouse <command> --help` shows a command's options.");
    console.log('A mistake (a missing file, a locked DuckDB file, a server out of reach) prints one line;');
    console.log('--verbose adds its stack trace. Anything else is a bug and prints its stack.');
    return name ? 0 : 2;
  }
  const load = loaders[name];
  if (!load) {
    console.error(`evalhouse: unknown command "${name}"; commands: ${Object.keys(loaders).join(', ')}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  let config: ReturnType<typeof loadConfig> | undefined;
  try {
    config = loadConfig();
    return await command.run(rest, config);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`evalhouse ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`evalhouse: ${err.message}`);
      return 2;
    }
    const line = describeError(err, config);
    if (line !== null) {
      console.error(`evalhouse ${name}: ${line}`);
      if (verbose) console.error(stackOf(err));
      return err instanceof CliError ? err.exitCode : 1;
    }
    console.error(
      `evalhouse ${name}: unexpected error, a bug (please report it with this trace):\n${stackOf(err)}`,
    );
    return 1;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exitCode = 1;
    },
  );
}
