/**
 * Stored prompts over HTTP on both engines (AUTH=on, an admin, an editor and a viewer): rendering and
 * its variable errors, immutable numbered versions (two saves at once), drafts, the diff, labels and
 * rollback with the protection of `production`, favourites per user, and every change's audit entry.
 */

import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../accounts/types.ts';
import type { AppContext } from '../../api/context.ts';
import { auditLogOf } from '../../api/data-audit.ts';
import { callAs, type Method, type Session } from '../helpers/auth-calls.ts';
import { type SignedInApp, signedInApp } from '../helpers/signed-in-app.ts';

describe.each(['duckdb', 'mysql'] as const)('prompts on %s', (engine) => {
  let t: SignedInApp;
  let ctx: AppContext;
  let app: FastifyInstance;
  const users: Record<string, User> = {};
  const sessions: Record<string, Session> = {};

  const call = (who: string, method: Method, url: string, body?: unknown) =>
    callAs(app, sessions[who]!, method, url, body);
  const audit = (action: string, resource: string) =>
    auditLogOf(ctx)
      .list({ action, resource, limit: 100 })
      .then((l) => [...l].sort((a, b) => a.id - b.id));

  beforeAll(async () => {
    t = await signedInApp(engine, 'prompts');
    ({ ctx, app } = t);
    for (const [name, role] of [
      ['root', 'admin'],
      ['ed', 'editor'],
      ['vic', 'viewer'],
    ] as const) {
      users[name] = await t.addUser(name, role);
      sessions[name] = await t.signIn(name);
    }
  });
  afterAll(() => t?.close());

  const V1 = { system: 'You answer {{subject}} questions.', user: 'Q: {{question}}\nA:' };

  it('creates a prompt with version 1, refuses templates whose variables disagree, renders by name', async () => {
    const bad = await call('ed', 'POST', '/prompts', {
      name: 'bad',
      template: { user: 'Q: {{question}}', variables: ['question', 'extra'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('"extra" declared but not a slot');
    expect((await call('vic', 'POST', '/prompts', { name: 'v', template: V1 })).status).toBe(403);

    const made = await call('ed', 'POST', '/prompts', {
      name: 'qa',
      description: 'question answering',
      tags: ['mmlu'],
      model: 'gpt-x',
      params: { temperature: 0 },
      template: V1,
    });
    expect(made.status, made.raw).toBe(201);
    expect(made.body).toMatchObject({ name: 'qa', latest_version: 1, labels: {}, favourite: false });
    expect((await call('ed', 'POST', '/prompts', { name: 'qa' })).status).toBe(409);
    const id = made.body.id;
    const v = (await call('vic', 'GET', `/prompts/${id}/versions`)).body.versions;
    expect(v).toEqual([expect.objectContaining({ version: 1, ...V1, variables: ['subject', 'question'] })]);

    const ok = await call('vic', 'POST', `/prompts/${id}/render`, {
      variables: { subject: 'law', question: 'Is it?' },
    });
    expect(ok.body).toEqual({ version: 1, system: 'You answer law questions.', user: 'Q: Is it?\nA:' });
    const missing = await call('vic', 'POST', `/prompts/${id}/render`, { variables: { subject: 'law' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual({ missing: ['question'], unknown: [] });
    expect(missing.body.message).toContain('{{question}}');
    const unknown = await call('vic', 'POST', `/prompts/${id}/render`, {
      variables: { subject: 'law', question: 'q', qestion: 'typo' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual({ missing: [], unknown: ['qestion'] });
    const created = await audit('prompt.create', `prompt:${id}`);
    expect(created).toHaveLength(1);
    expect(created[0]!.actor.email).toBe('ed@example.com');
  });

  it('versions are immutable and numbered; a draft becomes the next one; two saves at once get two numbers', async () => {
    const id = (await call('ed', 'GET', '/prompts')).body.prompts.find(
      (p: { name: string }) => p.name === 'qa',
    ).id;
    const draft = await call('ed', 'PUT', `/prompts/${id}/draft`, {
      system: 'You answer {{subject}} questions briefly.',
      user: 'Question: {{question}}\nAnswer:',
      params: { temperature: 0.2 },
      base_version: 1,
    });
    expect(draft.status, draft.raw).toBe(200);
    expect((await call('vic', 'GET', `/prompts/${id}`)).body).toMatchObject({
      has_draft: true,
      latest_version: 1,
    });
    const saved = await call('ed', 'POST', `/prompts/${id}/versions`, { message: 'briefly' });
    expect(saved.status, saved.raw).toBe(201);
    expect(saved.body).toMatchObject({ version: 2, message: 'briefly', params: { temperature: 0.2 } });
    expect((await call('vic', 'GET', `/prompts/${id}`)).body).toMatchObject({
      has_draft: false,
      draft: null,
    });
    expect((await call('ed', 'POST', `/prompts/${id}/versions`, {})).status).toBe(400); // no draft left

    const [a, b] = await Promise.all(
      ['x', 'y'].map((m) =>
        call('ed', 'POST', `/prompts/${id}/versions`, {
          template: { user: `{{question}} ${m}` },
          message: m,
        }),
      ),
    );
    expect([a!.status, b!.status]).toEqual([201, 201]);
    expect([a!.body.version, b!.body.version].sort()).toEqual([3, 4]);
    const versions = (await call('vic', 'GET', `/prompts/${id}/versions`)).body.versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3, 4]);
    expect(versions[0]).toMatchObject(V1); // unchanged by what came after
    // no route changes a version, and MySQL refuses an UPDATE itself
    expect((await call('root', 'PUT', `/prompts/${id}/versions/1`, { user: 'x' })).status).toBe(404);
    if (ctx.mysql) {
      await expect(
        sql`UPDATE prompt_versions SET user_text = 'x' WHERE prompt_id = ${id}`.execute(ctx.mysql.kysely),
      ).rejects.toThrow(/immutable/);
    }
    expect(
      (await audit('prompt.version', `prompt:${id}`))
        .map((e) => (e.after as { version: number }).version)
        .sort(),
    ).toEqual([2, 3, 4]);
  });

  it('diffs two versions line by line: system, user, parameters', async () => {
    const id = (await call('ed', 'GET', '/prompts')).body.prompts[0].id;
    const d = await call('vic', 'GET', `/prompts/${id}/diff?from=1&to=2`);
    expect(d.status, d.raw).toBe(200);
    expect(d.body.system).toEqual({
      changed: true,
      parts: [
        { op: '-', lines: ['You answer {{subject}} questions.'] },
        { op: '+', lines: ['You answer {{subject}} questions briefly.'] },
      ],
    });
    expect(d.body.user).toEqual({
      changed: true,
      parts: [
        { op: '-', lines: ['Q: {{question}}', 'A:'] },
        { op: '+', lines: ['Question: {{question}}', 'Answer:'] },
      ],
    });
    expect(d.body.params).toEqual({ changed: true, parts: [{ op: '+', lines: ['temperature: 0.2'] }] });
    expect(d.body.variables).toEqual({
      changed: false,
      parts: [{ op: '=', lines: ['subject', 'question'] }],
    });
    expect((await call('vic', 'GET', `/prompts/${id}/diff?from=1&to=9`)).status).toBe(404);
  });

  it('labels point at versions; production moves for editors and admins only; rollback walks back, audited', async () => {
    const id = (await call('ed', 'GET', '/prompts')).body.prompts[0].id;
    const put = (who: string, label: string, version: number) =>
      call(who, 'PUT', `/prompts/${id}/labels/${label}`, { version });
    expect((await put('vic', 'production', 1)).status).toBe(403);
    expect((await put('ed', 'production', 9)).status).toBe(404);
    expect((await put('ed', 'production', 1)).body).toEqual({
      label: 'production',
      from: null,
      to: 1,
      rollback: false,
    });
    expect((await put('root', 'production', 2)).body).toEqual({
      label: 'production',
      from: 1,
      to: 2,
      rollback: false,
    });
    expect((await put('ed', 'staging', 4)).status).toBe(200);
    expect((await call('vic', 'GET', `/prompts/${id}`)).body.labels).toEqual({ production: 2, staging: 4 });

    expect((await call('vic', 'POST', `/prompts/${id}/rollback`, { label: 'production' })).status).toBe(403);
    const back = await call('ed', 'POST', `/prompts/${id}/rollback`, { label: 'production' });
    expect(back.body).toEqual({ label: 'production', from: 2, to: 1, rollback: true });
    // the move to 1 was the label's first: nothing earlier to go back to
    expect((await call('ed', 'POST', `/prompts/${id}/rollback`, { label: 'production' })).status).toBe(409);
    const to3 = await call('ed', 'POST', `/prompts/${id}/rollback`, { label: 'production', version: 3 });
    expect(to3.body).toEqual({ label: 'production', from: 1, to: 3, rollback: true });
    expect((await call('ed', 'POST', `/prompts/${id}/rollback`, { label: 'nolabel' })).status).toBe(404);

    const moves = (await audit('prompt.label_move', `prompt:${id}`)).filter(
      (e) => (e.after as { label: string }).label === 'production',
    );
    expect(moves.map((e) => [e.actor.email, e.before, e.after])).toEqual([
      ['ed@example.com', { label: 'production', version: null }, { label: 'production', version: 1 }],
      ['root@example.com', { label: 'production', version: 1 }, { label: 'production', version: 2 }],
      [
        'ed@example.com',
        { label: 'production', version: 2 },
        { label: 'production', version: 1, rollback: true },
      ],
      [
        'ed@example.com',
        { label: 'production', version: 1 },
        { label: 'production', version: 3, rollback: true },
      ],
    ]);
    expect((await auditLogOf(ctx).verify()).ok).toBe(true);
  });

  it('favourites are per user; deleting a prompt is for admins, and takes its versions', async () => {
    const id = (await call('ed', 'GET', '/prompts')).body.prompts[0].id;
    expect((await call('vic', 'PUT', `/prompts/${id}/favourite`, { favourite: true })).body).toEqual({
      favourite: true,
    });
    expect((await call('vic', 'GET', `/prompts/${id}`)).body.favourite).toBe(true);
    expect((await call('ed', 'GET', `/prompts/${id}`)).body.favourite).toBe(false);
    expect(
      (await call('vic', 'GET', '/prompts?favourite=true')).body.prompts.map((p: { id: number }) => p.id),
    ).toEqual([id]);
    expect((await call('ed', 'GET', '/prompts?favourite=true')).body.prompts).toEqual([]);
    await call('vic', 'PUT', `/prompts/${id}/favourite`, { favourite: false });
    expect((await call('vic', 'GET', `/prompts/${id}`)).body.favourite).toBe(false);

    expect((await call('ed', 'DELETE', `/prompts/${id}`)).status).toBe(403);
    expect((await call('root', 'DELETE', `/prompts/${id}`)).status).toBe(200);
    expect((await call('vic', 'GET', `/prompts/${id}`)).status).toBe(404);
    const k = (ctx.mysql ?? ctx.duck).kysely;
    const left = await k
      .selectFrom('prompt_versions')
      .select('version')
      .where('prompt_id', '=', id)
      .execute();
    expect(left).toEqual([]);
    const del = await audit('prompt.delete', `prompt:${id}`);
    expect(del[0]!.before).toMatchObject({ name: 'qa', versions: 4, labels: { production: 3, staging: 4 } });
  });
});
