import type { KyselyAccountStore } from '../../accounts/account-store.ts';
import { ROLES, type Role, roleAtMost } from '../../accounts/roles.ts';
import type { User } from '../../accounts/types.ts';
import { CLI_ACTOR, printTable, withAccounts, workspaceOf } from '../accounts.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { CliError } from '../errors.ts';
import { forEachRegistry } from '../registries.ts';

/**
 * The owner of keys made without --user: a user of the CLI's own, member of no workspace, whose
 * address cannot receive mail nor sign in through a provider (`.invalid` is reserved, RFC 2606).
 */
export const CLI_USER_EMAIL = 'cli@evalhouse.invalid';

const usage = `usage: evalhouse keys create --role ${ROLES.join('|')} [--workspace SLUG] [--name NAME] [--user EMAIL] [--expires-days D]
       evalhouse keys list [--workspace SLUG]
       evalhouse keys revoke ID
       evalhouse keys rotate-secret

\`create\` makes an API key of the workspace (default: default) with ROLE and prints it once, alone on
the last line (send it as Authorization: Bearer <key>; only its HMAC is stored). --user: the member the
key acts for (ROLE at most theirs); without it, the CLI's own user ${CLI_USER_EMAIL}. --expires-days:
it stops working after D days (default: never). \`list\` shows a workspace's keys (never the keys
themselves), \`revoke\` ends one. Works on the store directly (stop a server holding the embedded DuckDB
file first).
\`rotate-secret\` re-encrypts the model registry's API keys of every workspace under the current
secret (the first of MODEL_KEYS_SECRETS) and prints the counts; keys under an older version still
decrypt until then, so drop that version from MODEL_KEYS_SECRETS only after this ran.`;

async function owner(
  a: KyselyAccountStore,
  email: string | undefined,
  workspaceId: number,
  role: Role,
): Promise<User> {
  if (email === undefined) {
    return (
      (await a.findUserByEmail(CLI_USER_EMAIL)) ??
      a.createUser({ email: CLI_USER_EMAIL, name: 'evalhouse CLI' }, CLI_ACTOR)
    );
  }
  const user = await a.findUserByEmail(email);
  if (!user) throw new CliError(`unknown user "${email}" (add them with evalhouse users add)`);
  const m = (await a.memberships(user.id)).find((x) => x.workspace.id === workspaceId);
  if (!m) throw new CliError(`${user.email} is not a member of this workspace`);
  if (!roleAtMost(role, m.role))
    throw new CliError(`${user.email} is ${m.role} here: a key of theirs is at most ${m.role}`);
  return user;
}

async function create(argv: string[], config: Parameters<Command['run']>[1]): Promise<number> {
  const { values: v } = parseCommandArgs(
    argv,
    {
      role: { type: 'string' },
      workspace: { type: 'string' },
      name: { type: 'string' },
      user: { type: 'string' },
      'expires-days': { type: 'string' },
    },
    false,
  );
  if (!v.role || !(ROLES as readonly string[]).includes(v.role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const role = v.role as Role;
  let expiresAt: string | null = null;
  if (v['expires-days'] !== undefined) {
    const d = Number(v['expires-days']);
    if (!Number.isInteger(d) || d < 1 || d > 36_500)
      throw new UsageError('--expires-days must be an integer from 1 to 36500');
    expiresAt = new Date(Date.now() + d * 86_400_000).toISOString();
  }
  const { key, token } = await withAccounts(config, async (a) => {
    const ws = await workspaceOf(a, v.workspace);
    const user = await owner(a, v.user, ws.id, role);
    return a.createKey(
      { userId: user.id, workspaceId: ws.id, role, name: v.name ?? 'cli', expiresAt },
      CLI_ACTOR,
    );
  });
  console.error(
    `created key ${key.id} "${key.name}" (${key.role} of ${key.workspace.slug}${key.expiresAt ? `, expires ${key.expiresAt}` : ''}); it is shown once:`,
  );
  console.log(token);
  return 0;
}

const day = (v: string | null) => (v === null ? '–' : v.slice(0, 16).replace('T', ' '));

async function list(argv: string[], config: Parameters<Command['run']>[1]): Promise<number> {
  const { values: v } = parseCommandArgs(argv, { workspace: { type: 'string' } }, false);
  const rows = await withAccounts(config, async (a) => {
    const ws = await workspaceOf(a, v.workspace);
    const keys = await a.listKeys({ workspaceId: ws.id });
    const emails = new Map<number, string>();
    for (const k of keys) {
      if (!emails.has(k.createdBy)) emails.set(k.createdBy, (await a.getUser(k.createdBy))?.email ?? '?');
    }
    const now = Date.now();
    return keys.map((k) => [
      String(k.id),
      k.name,
      `${k.prefix}…`,
      k.role,
      emails.get(k.createdBy)!,
      day(k.createdAt),
      day(k.expiresAt),
      day(k.lastUsedAt),
      k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= now ? 'expired' : 'live',
    ]);
  });
  if (rows.length === 0) {
    console.log('no keys');
    return 0;
  }
  printTable(['id', 'name', 'key', 'role', 'user', 'created (UTC)', 'expires', 'last used', 'status'], rows);
  return 0;
}

async function revoke(argv: string[], config: Parameters<Command['run']>[1]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {}, true);
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0]!))
    throw new UsageError('give one key id (a number)');
  const id = Number(positionals[0]);
  const k = await withAccounts(config, (a) => a.revokeKey(id, CLI_ACTOR));
  if (!k) throw new CliError(`unknown key ${id}`);
  console.log(`revoked key ${k.id} "${k.name}" (${k.role} of ${k.workspace.slug})`);
  return 0;
}

async function rotateSecret(argv: string[], config: Parameters<Command['run']>[1]): Promise<number> {
  parseCommandArgs(argv, {}, false);
  let total = 0;
  let changed = 0;
  await forEachRegistry(config, async (registry, ws) => {
    const r = await registry.rotateKeys(CLI_ACTOR);
    total += r.keys;
    changed += r.reencrypted;
    if (r.keys > 0)
      console.log(`${ws.slug}: ${r.reencrypted} of ${r.keys} key(s) re-encrypted under v${r.version}`);
  });
  console.log(`re-encrypted ${changed} of ${total} model key(s)`);
  return 0;
}

export const command: Command = {
  name: 'keys',
  summary: "create, list or revoke API keys; re-encrypt the model registry's keys (rotate-secret)",
  usage,
  async run(argv, config) {
    const [sub, ...rest] = argv;
    if (sub === 'create') return create(rest, config);
    if (sub === 'list') return list(rest, config);
    if (sub === 'revoke') return revoke(rest, config);
    if (sub === 'rotate-secret') return rotateSecret(rest, config);
    throw new UsageError(
      sub ? `unknown subcommand "${sub}"` : 'give a subcommand: create, list, revoke or rotate-secret',
    );
  },
};
