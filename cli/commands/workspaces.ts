import { CLI_ACTOR, printTable, withAccounts } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const usage = `usage: evalhouse workspaces create SLUG [--name NAME]
       evalhouse workspaces list

\`create\` adds a workspace (SLUG: lower-case letters, digits and dashes; NAME defaults to SLUG); add
its members with evalhouse users add EMAIL --role ROLE --workspace SLUG. \`list\` shows the workspaces.
Both work on the store directly (stop a server holding the embedded DuckDB file first).`;

export const command: Command = {
  name: 'workspaces',
  summary: 'create or list workspaces',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub === 'create') {
      const { values: v, positionals } = parseCommandArgs(rest, { name: { type: 'string' } });
      if (positionals.length !== 1) throw new UsageError('give one workspace slug');
      const slug = positionals[0]!;
      const w = await withAccounts(config, (a) => a.createWorkspace(slug, v.name ?? slug, CLI_ACTOR));
      console.log(`created workspace ${w.slug} (id ${w.id}, "${w.name}")`);
      return 0;
    }
    if (sub === 'list') {
      parseCommandArgs(rest, {}, false);
      const all = await withAccounts(config, (a) => a.listWorkspaces());
      printTable(
        ['id', 'slug', 'name', 'retention (days)', 'created (UTC)'],
        all.map((w) => [
          String(w.id),
          w.slug,
          w.name,
          w.retentionDays === null ? '–' : String(w.retentionDays),
          w.createdAt.slice(0, 19).replace('T', ' '),
        ]),
      );
      return 0;
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand: create or list');
  },
};
