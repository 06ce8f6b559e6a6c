/**
 * Organisations hold workspaces (AUTH=on, signed-in sessions and API keys, both engines): the install's
 * admins (admins of `default`) create organisations with a first workspace and admin; an organisation's
 * admins create its workspaces and name its admins; nobody else does, and a caller sees only the
 * organisations they have a part in. Every change is in the control database's audit chain.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountStore, User, Workspace } from '../../accounts/types.ts';
import { callAs, type Method, type Session } from '../helpers/auth-calls.ts';
import { SETUP, type SignedInApp, signedInApp } from '../helpers/signed-in-app.ts';

describe.each(['duckdb', 'mysql'] as const)('organisations on %s', (engine) => {
  let t: SignedInApp;
  let accounts: AccountStore;
  let app: FastifyInstance;
  let other: Workspace;
  const users: Record<string, User> = {};
  const sessions: Record<string, Session> = {};
  let adminKey = '';

  /** `who`: `key` (the admin's API key) or a signed-in session's name. */
  const call = (who: string, method: Method, url: string, body?: unknown, workspace?: string) =>
    callAs(app, who === 'key' ? { key: adminKey } : sessions[who]!, method, url, body, workspace);

  beforeAll(async () => {
    t = await signedInApp(engine, 'orgs');
    ({ accounts, app } = t);
    other = await accounts.createWorkspace('other', 'Other', SETUP);
    users.root = await t.addUser('root', 'admin');
    users.ann = await t.addUser('ann');
    users.bob = await t.addUser('bob', 'admin', other);
    users.vic = await t.addUser('vic', 'viewer');
    adminKey = (
      await accounts.createKey(
        { userId: users.root.id, workspaceId: t.def.id, role: 'admin', name: 'k', expiresAt: null },
        SETUP,
      )
    ).token;
    for (const name of ['root', 'ann', 'bob', 'vic']) sessions[name] = await t.signIn(name);
  });
  afterAll(() => t?.close());

  it('the workspaces made before organisations are in `default`, and say so', async () => {
    expect((await accounts.listOrganisations()).map((o) => o.slug)).toEqual(['default']);
    expect((await accounts.listWorkspaces()).map((w) => [w.slug, w.orgId])).toEqual([
      ['default', 1],
      ['other', 1],
    ]);
    const me = await call('bob', 'GET', '/me');
    expect(me.body.orgs).toEqual([{ slug: 'default', name: 'Default', admin: false }]);
    expect(me.body.workspaces).toEqual([
      expect.objectContaining({ slug: 'other', org: 'default', role: 'admin' }),
    ]);
    expect((await call('root', 'GET', '/me')).body.orgs).toEqual([
      { slug: 'default', name: 'Default', admin: true },
    ]);
  });

  it('only the install admins, signed in, create organisations', async () => {
    const body = { slug: 'acme', name: 'Acme', admin_email: 'ann@example.com' };
    expect((await call('bob', 'POST', '/orgs', body, 'other')).status).toBe(403);
    expect((await call('vic', 'POST', '/orgs', body)).status).toBe(403);
    expect((await call('key', 'POST', '/orgs', body)).status).toBe(403);
    expect((await call('root', 'POST', '/orgs', { ...body, slug: 'Not A Slug' })).status).toBe(400);
    expect((await call('root', 'POST', '/orgs', { ...body, admin_email: 'nobody@example.com' })).status).toBe(
      404,
    );
    expect(await accounts.getOrganisation('acme')).toBeNull();

    const made = await call('root', 'POST', '/orgs', body);
    expect(made.status, made.raw).toBe(201);
    expect(made.body.org).toMatchObject({ slug: 'acme', name: 'Acme' });
    expect(made.body.workspace).toMatchObject({ slug: 'acme', name: 'Acme', org_id: made.body.org.id });
    expect((await call('root', 'POST', '/orgs', body)).status).toBe(409);
    // the workspace slug is the install's: an organisation may not take one in use
    expect((await call('root', 'POST', '/orgs', { slug: 'other', name: 'x' })).status).toBe(409);
    expect(await accounts.getOrganisation('other')).toBeNull();
  });

  it("an organisation's admin sees it, and only it, and creates its workspaces", async () => {
    // ann signed in before she had any workspace: her memberships are read per request
    const me = await call('ann', 'GET', '/me');
    expect(me.body.orgs).toEqual([{ slug: 'acme', name: 'Acme', admin: true }]);
    expect(me.body.workspaces).toEqual([
      expect.objectContaining({ slug: 'acme', org: 'acme', role: 'admin' }),
    ]);
    const orgs = await call('ann', 'GET', '/orgs');
    expect(orgs.body.orgs).toEqual([
      expect.objectContaining({ slug: 'acme', admin: true, workspaces: ['acme'] }),
    ]);

    const lab = await call('ann', 'POST', '/workspaces', { slug: 'acme-lab', name: 'Lab' }, 'acme');
    expect(lab.status, lab.raw).toBe(201);
    const acme = (await accounts.getOrganisation('acme'))!;
    expect(lab.body.org_id).toBe(acme.id);
    // not in an organisation she does not administer
    const into = await call(
      'ann',
      'POST',
      '/workspaces',
      { slug: 'sneaky', name: 'x', org: 'default' },
      'acme',
    );
    expect(into.status).toBe(403);
    expect(into.raw).not.toMatch(/other/);
    // bob administers a workspace of `default`, not the organisation: no new workspace there
    expect((await call('bob', 'POST', '/workspaces', { slug: 'bobs', name: 'x' }, 'other')).status).toBe(403);
    expect(
      (await call('bob', 'POST', '/workspaces', { slug: 'bobs', name: 'x', org: 'acme' }, 'other')).status,
    ).toBe(403);
    expect(await accounts.getWorkspace('bobs')).toBeNull();
    expect(await accounts.getWorkspace('sneaky')).toBeNull();
    // the install's admins still create workspaces in `default`
    const root = await call('root', 'POST', '/workspaces', { slug: 'platform', name: 'Platform' });
    expect(root.status).toBe(201);
    expect(root.body.org_id).toBe(1);

    // bob sees nothing of acme
    expect((await call('bob', 'GET', '/orgs')).body.orgs.map((o: { slug: string }) => o.slug)).toEqual([
      'default',
    ]);
    expect((await call('bob', 'GET', '/orgs/acme/admins')).status).toBe(404);
    expect((await call('bob', 'GET', '/orgs/nope/admins')).status).toBe(404);
  });

  it("an organisation's admins name and remove its admins; it keeps one", async () => {
    const acme = (await accounts.getOrganisation('acme'))!;
    const lab = (await accounts.getWorkspace('acme-lab'))!;
    await accounts.setMembership(users.bob!.id, lab.id, 'viewer', SETUP);
    // a member of one of its workspaces learns it exists, not who runs it
    expect((await call('bob', 'GET', '/orgs/acme/admins')).status).toBe(403);
    expect((await call('bob', 'PUT', '/orgs/acme/admins', { email: 'bob@example.com' })).status).toBe(403);
    expect((await call('ann', 'GET', '/orgs/acme/admins')).body.admins.map((u: User) => u.email)).toEqual([
      'ann@example.com',
    ]);
    expect((await call('ann', 'PUT', '/orgs/acme/admins', { email: 'nobody@example.com' })).status).toBe(404);
    const added = await call('ann', 'PUT', '/orgs/acme/admins', { email: 'bob@example.com' });
    expect(added.body.admins.map((u: User) => u.email)).toEqual(['ann@example.com', 'bob@example.com']);
    expect(await accounts.orgAdminOf(users.bob!.id)).toEqual([acme.id]);
    const gone = await call('bob', 'DELETE', `/orgs/acme/admins/${users.ann!.id}`);
    expect(gone.body.admins.map((u: User) => u.email)).toEqual(['bob@example.com']);
    expect((await call('bob', 'DELETE', `/orgs/acme/admins/${users.bob!.id}`)).status).toBe(409);
    expect((await call('ann', 'GET', '/orgs/acme/admins')).status).toBe(403); // still admin of the workspace acme
  });

  it('every change is in the control audit chain, with the organisation named', async () => {
    const entries = (await accounts.audit.list({})).filter((e) => e.requestId !== 'test-setup');
    const acme = (await accounts.getOrganisation('acme'))!;
    const summary = entries
      .map((e) => [e.action, e.resource, e.actor.email] as const)
      .reverse()
      .filter(([action]) => action.startsWith('org.') || action === 'workspace.create');
    expect(summary).toEqual([
      ['org.create', 'org:acme', 'root@example.com'],
      ['workspace.create', 'workspace:acme', 'root@example.com'],
      ['org.admin_add', `user:${users.ann!.id}`, 'root@example.com'],
      ['workspace.create', 'workspace:acme-lab', 'ann@example.com'],
      ['workspace.create', 'workspace:platform', 'root@example.com'],
      ['org.admin_add', `user:${users.bob!.id}`, 'ann@example.com'],
      ['org.admin_remove', `user:${users.ann!.id}`, 'bob@example.com'],
    ]);
    const lab = entries.find((e) => e.resource === 'workspace:acme-lab')!;
    expect(lab.after).toMatchObject({ org: 'acme' });
    expect(acme.id).toBeGreaterThan(1);
    expect(await accounts.audit.verify()).toMatchObject({ ok: true });
  });
});
