/**
 * The playground's "Save as prompt" against POST /prompts on both engines (AUTH=on, an editor signed in with a
 * cookie and the CSRF header, as the page is): the body is the one the page builds (savePromptBody, shared with
 * dashboards/src/views/playground.ts), and the prompt reads back with version 1 = the editor's text.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountStore, AuditActor } from '../../accounts/types.ts';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { auditLogOf } from '../../api/data-audit.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { savePromptBody } from '../../dashboards/src/views/playground-save.ts';
import { createTestDatabase } from '../helpers/mysql.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SETUP: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: 'test-setup',
  address: null,
};
const PASSWORD = 'a long enough test password';

describe.each(['duckdb', 'mysql'] as const)('saving a playground prompt on %s', (engine) => {
  const tmp = tmpDir('evalhouse-pg-save-');
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  let ctx: AppContext;
  let workspaces: Workspaces;
  let accounts: AccountStore;
  let app: FastifyInstance;
  let session = { cookie: '', csrf: '' };
  let editorId = 0;

  async function call(method: 'GET' | 'POST', url: string, body?: unknown) {
    const headers: Record<string, string> = { cookie: session.cookie };
    if (method !== 'GET') headers['x-csrf-token'] = session.csrf;
    const res = await app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: an answer read field by field, each checked by an expectation
    return { status: res.statusCode, body: res.json() as Record<string, any>, raw: res.body };
  }

  beforeAll(async () => {
    db = engine === 'mysql' ? await createTestDatabase('pg_save') : null;
    ctx = await openContext(
      loadConfig({
        DUCKDB_PATH: `${tmp.dir}/pg-save-${engine}.duckdb`,
        ...(db ? { MYSQL_URL: db.url } : {}),
        DEMO_DATA: 'off',
        AUTH: 'on',
        AUTH_SECRET: 'a-test-secret-of-at-least-32-characters!!',
        RATE_LIMIT_PER_MIN: '100000',
      }),
      { mirrorLoop: false },
    );
    accounts = ctx.accounts!;
    workspaces = new Workspaces(ctx, { mirrorLoop: false });
    app = await buildApp(ctx, { workspaces });
    const def = (await accounts.getWorkspace('default'))!;
    const ed = await accounts.createUser({ email: 'ed@example.com', password: PASSWORD }, SETUP);
    editorId = ed.id;
    await accounts.setMembership(ed.id, def.id, 'editor', SETUP);
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: 'ed@example.com', password: PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(200);
    const jar = res.cookies.map((c) => [c.name, c.value] as const);
    session = {
      cookie: jar.map(([k, v]) => `${k}=${v}`).join('; '),
      csrf: jar.find(([k]) => k === '__Host-eh_csrf')?.[1] ?? '',
    };
    expect(session.csrf).not.toBe('');
  });
  afterAll(async () => {
    await app?.close();
    await workspaces?.close();
    await ctx?.close();
    await db?.drop();
    tmp.cleanup();
  });

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
