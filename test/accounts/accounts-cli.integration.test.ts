import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDb } from '../../accounts/account-db.ts';
import { KyselyAccountStore } from '../../accounts/account-store.ts';
import { DuckDbStore } from '../../store/duckdb/duckdb-store.ts';
import { MysqlStore } from '../../store/mysql/mysql-store.ts';
import { evalhouse, startServer } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** The accounts as a server would see them, opened after the CLI process ended. */
async function withStore<T>(
  env: Record<string, string>,
  f: (s: KyselyAccountStore) => Promise<T>,
): Promise<T> {
  const store = env.MYSQL_URL
    ? await MysqlStore.open(env.MYSQL_URL)
    : await DuckDbStore.open(env.DUCKDB_PATH!);
  try {
    return await f(
      new KyselyAccountStore(accountDb(store), { auth: { secret: undefined, refreshTtlS: 60 } }),
    );
  } finally {
    await store.close();
  }
}

describe.each(['duckdb', 'mysql'] as const)('the account commands on %s', (engine) => {
  const tmp = tmpDir('evalhouse-acct-cli-');
  let env: Record<string, string>;
  let drop: (() => Promise<void>) | null = null;
  const cli = async (args: string[], input?: string) => await evalhouse(args, env, { input }).done;
  beforeAll(async () => {
    env = { DUCKDB_PATH: join(tmp.dir, 'evalhouse.duckdb'), DEMO_DATA: 'off' };
    if (engine === 'mysql') {
      const db = await createTestDatabase('acct');
      env.MYSQL_URL = db.url;
      drop = db.drop;
    }
  });
  afterAll(async () => {
    await drop?.();
    tmp.cleanup();
  });

  it('creates a workspace, adds its admin with a password, makes, lists and revokes a key', async () => {
    const created = await cli(['workspaces', 'create', 'team-a', '--name', 'Team A']);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/created workspace team-a/);
    const list = await cli(['workspaces', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/default\s+Default/);
    expect(list.stdout).toMatch(/team-a\s+default\s+Team A/);

    const add = await cli(
      ['users', 'add', 'Ada@Example.org', '--role', 'admin', '--workspace', 'team-a', '--password-stdin'],
      'a long password\n',
    );
    expect(add.stderr).toBe('');
    expect(add.stdout).toMatch(/created user ada@example.org .*admin of team-a \(password set\)/);
    const viewer = await cli(['users', 'add', 'bob@example.org', '--role', 'viewer']);
    expect(viewer.stdout).toMatch(/viewer of default/);

    const key = await cli([
      'keys',
      'create',
      '--role',
      'editor',
      '--workspace',
      'team-a',
      '--user',
      'ada@example.org',
      '--name',
      'ci',
      '--expires-days',
      '7',
    ]);
    expect(key.code).toBe(0);
    const token = key.stdout.trimEnd().split('\n').at(-1)!;
    expect(token).toMatch(/^ehk_[A-Za-z0-9_-]{43}$/);
    // a key above its user's role is refused
    const above = await cli(['keys', 'create', '--role', 'admin', '--user', 'bob@example.org']);
    expect(above.code).toBe(1);
    expect(above.stderr).toMatch(/at most viewer/);
    // without --user: the CLI's own user
    const own = await cli(['keys', 'create', '--role', 'viewer']);
    expect(own.code).toBe(0);
    const ownToken = own.stdout.trimEnd().split('\n').at(-1)!;

    const keys = await cli(['keys', 'list', '--workspace', 'team-a']);
    expect(keys.stdout).toMatch(new RegExp(`ci\\s+${token.slice(0, 10)}…\\s+editor\\s+ada@example.org`));
    expect(keys.stdout).not.toContain(token);
    expect((await cli(['keys', 'list'])).stdout).toMatch(/viewer\s+cli@evalhouse.invalid/);

    const keyId = await withStore(env, async (s) => {
      const found = await s.authenticateKey(token);
      expect(found?.key).toMatchObject({ name: 'ci', role: 'editor', workspace: { slug: 'team-a' } });
      expect(found?.key.expiresAt).not.toBeNull();
      expect((await s.authenticateKey(ownToken))?.user.email).toBe('cli@evalhouse.invalid');
      expect(await s.verifyPassword('ada@example.org', 'a long password')).not.toBeNull();
      return found!.key.id;
    });
    const revoked = await cli(['keys', 'revoke', String(keyId)]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toMatch(/revoked key/);
    expect((await cli(['keys', 'list', '--workspace', 'team-a'])).stdout).toMatch(/revoked/);

    await withStore(env, async (s) => {
      expect(await s.authenticateKey(token)).toBeNull();
      const entries = await s.audit.list({});
      expect(
        entries.every((x) => x.address === 'cli' && x.actor.role === 'admin' && x.actor.userId === null),
      ).toBe(true);
      expect(entries.map((x) => x.action).reverse()).toEqual([
        'workspace.create',
        'user.create',
        'member.add',
        'user.create',
        'member.add',
        'key.create',
        'user.create',
        'key.create',
        'key.revoke',
      ]);
      expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 9 });
      expect(JSON.stringify(entries)).not.toContain(token.slice(4));
    });
  }, 120_000);

  it('creates an organisation with its first workspace and admin, lists it, and names its admins', async () => {
    expect(await cli(['users', 'add', 'olga@example.org', '--role', 'viewer'])).toMatchObject({ code: 0 });
    const made = await cli(['orgs', 'create', 'acme', '--name', 'Acme', '--admin', 'olga@example.org']);
    expect(made, made.stderr).toMatchObject({ code: 0 });
    expect(made.stdout).toMatch(
      /created organisation acme \(id \d+\) with workspace acme, admin olga@example.org/,
    );
    const ws = await cli(['workspaces', 'create', 'acme-lab', '--org', 'acme']);
    expect(ws.stdout).toMatch(/created workspace acme-lab .* in organisation acme/);
    const list = await cli(['orgs', 'list']);
    expect(list.stdout).toMatch(/default\s+Default\s+default, team-a/);
    expect(list.stdout).toMatch(/acme\s+Acme\s+acme, acme-lab/);
    expect((await cli(['orgs', 'admins', 'acme'])).stdout).toMatch(/olga@example.org/);
    const removed = await cli(['orgs', 'admins', 'acme', '--remove', 'olga@example.org']);
    expect(removed.stdout).not.toMatch(/olga@example.org/);
    const unknown = await cli(['workspaces', 'create', 'x1', '--org', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown organisation "nope"; organisations: default, acme/);
    await withStore(env, async (s) => {
      const acme = (await s.getOrganisation('acme'))!;
      const lab = (await s.getWorkspace('acme-lab'))!;
      expect(lab.orgId).toBe(acme.id);
      expect((await s.getWorkspace('team-a'))!.orgId).toBe(1);
      // olga was made admin of the first workspace in the organisation's own transaction
      const olga = (await s.findUserByEmail('olga@example.org'))!;
      expect(await s.memberships(olga.id)).toContainEqual({
        workspace: { id: (await s.getWorkspace('acme'))!.id, slug: 'acme', name: 'acme' },
        role: 'admin',
      });
      const actions = (await s.audit.list({})).map((x) => x.action);
      expect(actions.slice(0, 6).reverse()).toEqual([
        'org.create',
        'workspace.create',
        'org.admin_add',
        'member.add',
        'workspace.create',
        'org.admin_remove',
      ]);
      expect(await s.audit.verify()).toMatchObject({ ok: true });
    });
  }, 120_000);

  // the refusals are the CLI's, not the engine's, and the file lock is the embedded store's: these are
  // declared for the DuckDB file only (not skipped on MariaDB: CI shows no skipped tests)
  if (engine !== 'duckdb') return;
  it('refuses what is wrong in one line', async () => {
    const again = await cli(['workspaces', 'create', 'team-a']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the workspace team-a exists/);
    const bad = await cli(['workspaces', 'create', 'Not A Slug']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/lower-case letters/);
    const role = await cli(['users', 'add', 'x@example.org', '--role', 'owner']);
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/--role must be one of viewer, editor, admin/);
    const ws = await cli(['keys', 'create', '--role', 'viewer', '--workspace', 'nope']);
    expect(ws.code).toBe(1);
    expect(ws.stderr).toMatch(/unknown workspace "nope"; workspaces: default, team-a/);
    const unknown = await cli(['keys', 'revoke', '999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown key 999/);
    const empty = await cli(['users', 'add', 'x@example.org', '--role', 'viewer', '--password-stdin'], '');
    expect(empty.code).toBe(2);
  }, 120_000);

  it('says which server holds the embedded file', async () => {
    const server = await startServer({ DUCKDB_PATH: env.DUCKDB_PATH!, PORT: '0' });
    try {
      const r = await cli(['keys', 'list']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`is in use by another process (the evalhouse server at ${server.url}`);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // one line, no stack
    } finally {
      await server.stop();
    }
  }, 120_000);
});
