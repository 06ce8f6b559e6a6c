/**
 * The playground's "Save as prompt" against POST /prompts on both engines (AUTH=on, an editor signed in with a
 * cookie and the CSRF header, as the page is): the body is the one the page builds (savePromptBody, shared with
 * dashboards/src/views/playground.ts), and the prompt reads back with version 1 = the editor's text.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../api/context.ts';
import { auditLogOf } from '../../api/data-audit.ts';
import { savePromptBody } from '../../dashboards/src/views/playground-save.ts';
import { callAs, type Session } from '../helpers/auth-calls.ts';
import { type SignedInApp, signedInApp } from '../helpers/signed-in-app.ts';

describe.each(['duckdb', 'mysql'] as const)('saving a playground prompt on %s', (engine) => {
  let t: SignedInApp;
  let ctx: AppContext;
  let app: FastifyInstance;
  let session: Session;
  let editorId = 0;

  const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    callAs(app, session, method, url, body);

  beforeAll(async () => {
    t = await signedInApp(engine, 'pg_save');
    ({ ctx, app } = t);
    editorId = (await t.addUser('ed', 'editor')).id;
    session = await t.signIn('ed');
    expect(session.csrf).not.toBe('');
  });
  afterAll(() => t?.close());

  it("posts the page's body and reads the prompt back with its version 1 template", async () => {
    const system = 'You answer {{style}}.';
    const user = 'What is {{thing}}?\nAnswer in {{lang}}.';
    // the page sends the name box's text trimmed
    const body = savePromptBody('  playground/monad  ', system, user);
    expect(body).toEqual({ name: 'playground/monad', template: { system, user } });
    const made = await call('POST', '/prompts', body);
    expect(made.status, made.raw).toBe(201);
    expect(made.body).toMatchObject({ name: 'playground/monad', latest_version: 1, created_by: editorId });

    const id = made.body.id as number;
    const read = await call('GET', `/prompts/${id}`);
    expect(read.status, read.raw).toBe(200);
    expect(read.body).toMatchObject({
      name: 'playground/monad',
      latest_version: 1,
      latest: { version: 1, system, user },
      draft: null,
    });
    const versions = await call('GET', `/prompts/${id}/versions`);
    expect(versions.status, versions.raw).toBe(200);
    expect(versions.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        system,
        user,
        // the slots, system's first, in order of appearance
        variables: ['style', 'thing', 'lang'],
        created_by: editorId,
      }),
    ]);
    const audit = await auditLogOf(ctx).list({
      action: 'prompt.create',
      resource: `prompt:${id}`,
      limit: 10,
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor.userId).toBe(editorId);
  });

  it('an empty system box saves no system message', async () => {
    const made = await call('POST', '/prompts', savePromptBody('no-system', '', 'Say {{word}}.'));
    expect(made.status, made.raw).toBe(201);
    const versions = await call('GET', `/prompts/${made.body.id}/versions`);
    expect(versions.body.versions).toEqual([
      expect.objectContaining({ version: 1, system: null, user: 'Say {{word}}.', variables: ['word'] }),
    ]);
  });

  it('what the route refuses from the page is a clear 4xx: a taken name, a name with a space, no user text', async () => {
    const again = await call('POST', '/prompts', savePromptBody('no-system', '', 'Say {{word}}.'));
    expect(again.status).toBe(409);
    const spaced = await call('POST', '/prompts', savePromptBody('my prompt', '', 'Hello'));
    expect(spaced.status).toBe(400);
    expect(spaced.raw).toMatch(/a prompt name/);
    const blank = await call('POST', '/prompts', savePromptBody('blank', 'System only', ''));
    expect(blank.status).toBe(400);
    expect(blank.raw).toMatch(/user/);
    expect((await call('GET', '/prompts')).body.prompts.map((p: { name: string }) => p.name).sort()).toEqual([
      'no-system',
      'playground/monad',
    ]);
  });
});
