import { CLI_ACTOR, orgOf, printTable, withAccounts } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const usage = `usage: evalhouse workspaces create SLUG [--name NAME] [--org ORG]
       evalhouse workspaces list

\`create\` adds a workspace (SLUG: lower-case letters, digits and dashes; NAME defaults to SLUG) to the
organisation ORG (default: \`default\`; see evalhouse orgs); add
its members with evalhouse users add EMAIL --role ROLE --workspace SLUG. \`list\` shows the workspaces.
Both work on the store directly (stop a server holding the embedded DuckDB file first).`;

export const command: Command = {
  name: 'workspaces',
  summary: 'create or list workspaces',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub === 'create') {
      const { values: v, positionals } = parseCommandArgs(rest, {
        name: { type: 'string' },
        org: { type: 'string' },
      });
      if (positionals.length !== 1) throw new UsageError('give one workspace slug');
      const slug = positionals[0]!;
      const { w, org } = await withAccounts(config, async (a) => {
        const org = await orgOf(a, v.org);
        return { w: await a.createWorkspace(slug, v.name ?? slug, CLI_ACTOR, org.id), org };
      });
      console.log(`created workspace ${w.slug} (id ${w.id}, "${w.name}") in organisation ${org.slug}`);
      return 0;
    }
    if (sub === 'list') {
      parseCommandArgs(rest, {}, false);
      const [all, orgs] = await withAccounts(config, (a) =>
        Promise.all([a.listWorkspaces(), a.listOrganisations()]),
      );
      const orgSlug = new Map(orgs.map((o) => [o.id, o.slug]));
      printTable(
        ['id', 'slug', 'org', 'name', 'retention (days)', 'created (UTC)'],
        all.map((w) => [
          String(w.id),
          w.slug,
          orgSlug.get(w.orgId) ?? String(w.orgId),
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
