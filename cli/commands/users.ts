import { ROLES, type Role } from '../../accounts/roles.ts';
import { CLI_ACTOR, withAccounts, workspaceOf } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const usage = `usage: evalhouse users add EMAIL --role ${ROLES.join('|')} [--workspace SLUG] [--name NAME] [--password-stdin]

Makes EMAIL a member of the workspace (default: default) with ROLE, creating the user when unknown
(they then sign in with Google or GitHub under that email, or with the password). --password-stdin
reads the user's password from standard input (its first line), e.g.
  printf '%s\\n' "$PASSWORD" | evalhouse users add ada@example.org --role admin --password-stdin
and sets it for a user who exists. Works on the store directly (stop a server holding the embedded
DuckDB file first).`;

/** The first line of standard input: the password, never an argument (arguments show in `ps`). */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const first = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (first === '') throw new UsageError('--password-stdin: standard input holds no password');
  return first;
}

export const command: Command = {
  name: 'users',
  summary: 'add a user to a workspace with a role',
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub !== 'add') throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'give a subcommand: add');
    const { values: v, positionals } = parseCommandArgs(rest, {
      role: { type: 'string' },
      workspace: { type: 'string' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new UsageError('give one email');
    if (!v.role || !(ROLES as readonly string[]).includes(v.role))
      throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    const role = v.role as Role;
    const password = v['password-stdin'] ? await readPassword() : null;
    const email = positionals[0]!;
    const msg = await withAccounts(config, async (a) => {
      const ws = await workspaceOf(a, v.workspace);
      let user = await a.findUserByEmail(email);
      const created = !user;
      if (!user) user = await a.createUser({ email, name: v.name ?? null, password }, CLI_ACTOR);
      else if (password !== null) await a.setPassword(user.id, password, CLI_ACTOR);
      const was = (await a.memberships(user.id)).find((m) => m.workspace.id === ws.id)?.role ?? null;
      await a.setMembership(user.id, ws.id, role, CLI_ACTOR);
      const what = created ? 'created user' : 'user';
      if (was === null) return `${what} ${user.email} (id ${user.id}): ${role} of ${ws.slug}`;
      if (was === role) return `${what} ${user.email} (id ${user.id}) is already ${role} of ${ws.slug}`;
      return `${what} ${user.email} (id ${user.id}): ${was} → ${role} of ${ws.slug}`;
    });
    console.log(msg + (password !== null ? ' (password set)' : ''));
    return 0;
  },
};
