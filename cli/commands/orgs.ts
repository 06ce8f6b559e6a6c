import { CLI_ACTOR, orgOf, printTable, withAccounts } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const usage = `usage: evalhouse orgs create SLUG [--name NAME] [--workspace WS] [--admin EMAIL]
       evalhouse orgs list
       evalhouse orgs admins SLUG [--add EMAIL | --remove EMAIL]

Organisations hold workspaces; \`default\` holds the install's first ones. \`create\` adds an organisation
with its first workspace WS (default: SLUG) and makes EMAIL (an existing user: evalhouse users add) its
admin and the admin of WS. \`admins\` lists an organisation's admins, or adds or removes one. Organisation
admins create its workspaces (POST /workspaces). All work on the store directly.`;

export const command: Command = {
  name: 'orgs',
  summary: 'create or list organisations, and name their admins',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub === 'create') {
      const { values: v, positionals } = parseCommandArgs(rest, {
        name: { type: 'string' },
        workspace: { type: 'string' },
        admin: { type: 'string' },
      });
      if (positionals.length !== 1) throw new UsageError('give one organisation slug');
      const slug = positionals[0]!;
      const made = await withAccounts(config, async (a) => {
        const admin = v.admin ? await a.findUserByEmail(v.admin) : null;
        if (v.admin && !admin)
          throw new UsageError(`no user ${v.admin}: add them first with evalhouse users add ${v.admin}`);
        const ws = v.workspace ?? slug;
        return a.createOrganisation(
          { slug, name: v.name ?? slug, workspace: { slug: ws, name: ws }, adminUserId: admin?.id ?? null },
          CLI_ACTOR,
        );
      });
      console.log(
        `created organisation ${made.organisation.slug} (id ${made.organisation.id}) with workspace ${made.workspace.slug}` +
          (v.admin ? `, admin ${v.admin}` : ''),
      );
      return 0;
    }
    if (sub === 'list') {
      parseCommandArgs(rest, {}, false);
      const [orgs, all] = await withAccounts(config, (a) =>
        Promise.all([a.listOrganisations(), a.listWorkspaces()]),
      );
      printTable(
        ['id', 'slug', 'name', 'workspaces', 'created (UTC)'],
        orgs.map((o) => [
          String(o.id),
          o.slug,
          o.name,
          all
            .filter((w) => w.orgId === o.id)
            .map((w) => w.slug)
            .join(', ') || '–',
          o.createdAt.slice(0, 19).replace('T', ' '),
        ]),
      );
      return 0;
    }
    if (sub === 'admins') {
      const { values: v, positionals } = parseCommandArgs(rest, {
        add: { type: 'string' },
        remove: { type: 'string' },
      });
      if (positionals.length !== 1) throw new UsageError('give one organisation slug');
      if (v.add && v.remove) throw new UsageError('give --add or --remove, not both');
      const admins = await withAccounts(config, async (a) => {
        const org = await orgOf(a, positionals[0]);
        const email = v.add ?? v.remove;
        if (email) {
          const u = await a.findUserByEmail(email);
          if (!u) throw new UsageError(`no user ${email}`);
          await a.setOrgAdmin(org.id, u.id, Boolean(v.add), CLI_ACTOR);
        }
        return a.orgAdmins(org.id);
      });
      printTable(
        ['id', 'email', 'name'],
        admins.map((u) => [String(u.id), u.email, u.name ?? '']),
      );
      return 0;
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand: create, list or admins');
  },
};
