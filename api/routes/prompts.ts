import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountDb } from '../../accounts/account-db.ts';
import { allows } from '../../accounts/roles.ts';
import { errors } from '../../core/errors.ts';
import { renderTemplate, TemplateError } from '../../ingest/benchmarks/render.ts';
import { diffVersions } from '../../prompts/diff.ts';
import {
  EXCHANGE_KINDS,
  importOf,
  PromptDocument,
  parseDocument,
  serialize,
  toDocument,
} from '../../prompts/exchange.ts';
import { PromptStore } from '../../prompts/prompt-store.ts';
import {
  LABEL,
  PARAMS,
  PROMPT_NAME,
  PROTECTED_LABELS,
  type Prompt,
  type PromptVersion,
  TEMPLATE,
} from '../../prompts/types.ts';
import type { RouteOptions } from '../app.ts';
import { userOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import type { AppContext } from '../context.ts';
import { auditActorOf } from '../data-audit.ts';
import { WorkspaceQuery } from './account-views.ts';
import { problems } from './schemas.ts';

/** The prompts of a workspace's context: in its own database (MySQL, or the embedded DuckDB file). */
export function promptStoreOf(
  w: Pick<AppContext, 'mysql' | 'duck'>,
  workspaceId: number | null,
): PromptStore {
  return new PromptStore(accountDb(w.mysql ?? w.duck), workspaceId);
}

/** Favourites belong to the signed-in user; with auth off to the local user (id 0, no account row). */
const LOCAL_USER_ID = 0;

const Id = z.strictObject({ id: z.coerce.number().int().min(1) });
const LabelParams = z.strictObject({ id: z.coerce.number().int().min(1), label: LABEL });
const VersionNumber = z.number().int().min(1);

const TemplateBody = z.strictObject(TEMPLATE);
const PromptFields = {
  description: z.string().max(10_000).nullable().optional(),
  tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
  model: z
    .string()
    .min(1)
    .max(191)
    .nullable()
    .optional()
    .describe('the model it is meant for (a models.yaml name)'),
  params: PARAMS.optional(),
};
const NewPrompt = z.strictObject({
  name: PROMPT_NAME,
  ...PromptFields,
  template: TemplateBody.optional().describe('version 1; absent: the prompt starts without versions'),
});
/** The body of POST /prompts (the playground's "Save as prompt" builds one: dashboards/src/views/playground-save.ts). */
export type NewPromptBody = z.input<typeof NewPrompt>;
const PromptPatch = z.strictObject({ name: PROMPT_NAME.optional(), ...PromptFields });

const TemplateView = {
  system: z.string().nullable(),
  user: z.string(),
  variables: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
};
const VersionView = z.object({
  version: z.number().int(),
  ...TemplateView,
  message: z.string().nullable(),
  created_by: z.number().int().nullable().describe('user id'),
  created_at: z.string(),
});
const DraftView = z.object({
  ...TemplateView,
  base_version: z.number().int().nullable(),
  updated_by: z.number().int().nullable(),
  updated_at: z.string(),
});
const PromptView = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  model: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  created_by: z.number().int().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  latest_version: z.number().int().describe('0 before the first version'),
  labels: z.record(z.string(), z.number().int()).describe('label → version'),
  favourite: z.boolean().describe("the caller's favourite"),
  has_draft: z.boolean(),
});
const DiffPart = z.object({ op: z.enum(['=', '-', '+']), lines: z.array(z.string()) });
const PartDiff = z.object({ changed: z.boolean(), parts: z.array(DiffPart) });
const LabelMoveView = z.object({
  label: z.string(),
  from: z.number().int().nullable().describe('the version before the move; null: a new label'),
  to: z.number().int(),
  rollback: z.boolean(),
});

const promptView = (p: Prompt): z.infer<typeof PromptView> => ({
  id: p.id,
  name: p.name,
  description: p.description,
  tags: p.tags,
  model: p.model,
  params: p.params as Record<string, unknown>,
  created_by: p.createdBy,
  created_at: p.createdAt,
  updated_at: p.updatedAt,
  latest_version: p.latestVersion,
  labels: p.labels,
  favourite: p.favourite,
  has_draft: p.hasDraft,
});
const versionView = (v: PromptVersion): z.infer<typeof VersionView> => ({
  version: v.version,
  system: v.system,
  user: v.user,
  variables: v.variables,
  params: v.params as Record<string, unknown>,
  message: v.message,
  created_by: v.createdBy,
  created_at: v.createdAt,
});

/**
 * The prompts of the request's workspace (issue #23): templates with immutable numbered versions, an
 * auto-saved draft, labels, rollback, a diff of two versions, favourites, export and import as JSON or
 * YAML, and a render that refuses missing and unknown variables by name. Who may do what: reading,
 * rendering and favourites need `read`; every other change `write` (editors and admins), as does moving
 * or rolling back a protected label (`production`), which `protectedLabel` checks again in the handler;
 * deleting a prompt needs `admin`.
 */
export async function promptRoutes(app: FastifyInstance, { scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // POST /prompts/import takes YAML as well as JSON (its text is parsed by prompts/exchange.ts)
  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const storeOf = async (req: FastifyRequest) => promptStoreOf(await scope(req), accessOf(req).workspace.id);
  const userIdOf = (req: FastifyRequest) => userOf(req)?.id ?? LOCAL_USER_ID;
  const mustGet = async (store: PromptStore, req: FastifyRequest, id: number) => {
    const p = await store.get(id, userIdOf(req));
    if (!p) throw errors.notFound('prompt', String(id));
    return p;
  };
  /** A protected label moves only for a role that may write (editor, admin): checked here as well as by the route. */
  const protectedLabel = (req: FastifyRequest, label: string) => {
    const { role } = accessOf(req);
    if (PROTECTED_LABELS.includes(label) && !allows(role, 'write'))
      throw errors.forbidden(`only admins and editors move the ${label} label; you are ${role}`, {
        label,
        role,
      });
  };
  const rendered = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TemplateError)
        throw errors.badRequest(err.message, { missing: err.missing, unknown: err.unknown });
      throw err;
    }
  };

  r.get(
    '/prompts',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          "The workspace's prompts by name, with their labels, newest version and the caller's favourites",
        querystring: WorkspaceQuery.extend({
          tag: z.string().max(64).optional(),
          favourite: z.enum(['true', 'false']).optional().describe('true: the caller’s favourites only'),
        }),
        response: { 200: z.object({ prompts: z.array(PromptView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      let list = await store.list(userIdOf(req));
      const { tag, favourite } = req.query;
      if (tag !== undefined) list = list.filter((p) => p.tags.includes(tag));
      if (favourite !== undefined) list = list.filter((p) => p.favourite === (favourite === 'true'));
      return { prompts: list.map(promptView) };
    },
  );

  r.post(
    '/prompts',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Creates a prompt (its name unique in the workspace), with version 1 when a template is given',
        querystring: WorkspaceQuery,
        body: NewPrompt,
        response: { 201: PromptView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const { template, ...fields } = req.body;
      const made = await (await storeOf(req)).create(fields, template ?? null, auditActorOf(req));
      return reply.code(201).send(promptView(made));
    },
  );

  r.post(
    '/prompts/import',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Creates a prompt from an export (JSON, or YAML as application/yaml): its versions, their dates and its labels',
        querystring: WorkspaceQuery,
        body: z.union([z.string().describe('YAML or JSON text'), z.record(z.string(), z.unknown())]),
        response: { 201: PromptView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const doc = typeof body === 'string' ? parseDocument(body) : parseDocument(JSON.stringify(body));
      const made = await (await storeOf(req)).import(importOf(doc), auditActorOf(req));
      return reply.code(201).send(promptView(made));
    },
  );

  r.get(
    '/prompts/:id',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'A prompt with its newest version and its draft',
        params: Id,
        querystring: WorkspaceQuery,
        response: {
          200: PromptView.extend({ latest: VersionView.nullable(), draft: DraftView.nullable() }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      const p = await mustGet(store, req, req.params.id);
      const latest = p.latestVersion > 0 ? await store.version(p.id, p.latestVersion) : null;
      const d = await store.draft(p.id);
      return {
        ...promptView(p),
        latest: latest ? versionView(latest) : null,
        draft: d
          ? {
              system: d.system,
              user: d.user,
              variables: d.variables,
              params: d.params as Record<string, unknown>,
              base_version: d.baseVersion,
              updated_by: d.updatedBy,
              updated_at: d.updatedAt,
            }
          : null,
      };
    },
  );

  r.put(
    '/prompts/:id',
    {
      config: { permission: 'write' },
      schema: {
        summary: "Changes a prompt's name, description, tags, model or parameters (versions never change)",
        params: Id,
        querystring: WorkspaceQuery,
        body: PromptPatch,
        response: { 200: PromptView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      return promptView(await store.update(req.params.id, req.body, auditActorOf(req)));
    },
  );

  r.delete(
    '/prompts/:id',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          'Removes a prompt with its versions, draft, labels and favourites (runs keep its name and version)',
        params: Id,
        querystring: WorkspaceQuery,
        response: { 200: z.object({ deleted: z.number().int() }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      await store.delete(req.params.id, auditActorOf(req));
      return { deleted: req.params.id };
    },
  );

  r.get(
    '/prompts/:id/versions',
    {
      config: { permission: 'read' },
      schema: {
        summary: "A prompt's versions, oldest first",
        params: Id,
        querystring: WorkspaceQuery,
        response: { 200: z.object({ versions: z.array(VersionView) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      return { versions: (await store.versions(req.params.id)).map(versionView) };
    },
  );

  r.post(
    '/prompts/:id/versions',
    {
      config: { permission: 'write' },
      schema: {
        summary: 'Saves version n+1: the template given, or else the draft (then cleared)',
        params: Id,
        querystring: WorkspaceQuery,
        body: z.strictObject({
          template: TemplateBody.optional().describe('absent: the draft'),
          message: z.string().max(10_000).optional(),
        }),
        response: { 201: VersionView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      const v = await store.saveVersion(
        req.params.id,
        req.body.template ?? null,
        req.body.message ?? null,
        auditActorOf(req),
      );
      return reply.code(201).send(versionView(v));
    },
  );

  r.put(
    '/prompts/:id/draft',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          "Auto-saves the prompt's draft (one per prompt, replaced by each save) until it becomes a version",
        params: Id,
        querystring: WorkspaceQuery,
        body: TemplateBody.extend({ base_version: VersionNumber.nullable().optional() }),
        response: { 200: DraftView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      const { base_version, ...t } = req.body;
      const d = await store.saveDraft(req.params.id, { ...t, baseVersion: base_version }, auditActorOf(req));
      return {
        system: d.system,
        user: d.user,
        variables: d.variables,
        params: d.params as Record<string, unknown>,
        base_version: d.baseVersion,
        updated_by: d.updatedBy,
        updated_at: d.updatedAt,
      };
    },
  );

  r.get(
    '/prompts/:id/diff',
    {
      config: { permission: 'read' },
      schema: {
        summary: 'Line diff of two versions: system and user text, parameters (a line per key) and variables',
        params: Id,
        querystring: WorkspaceQuery.extend({
          from: z.coerce.number().int().min(1),
          to: z.coerce.number().int().min(1),
        }),
        response: {
          200: z.object({
            from: z.number().int(),
            to: z.number().int(),
            system: PartDiff,
            user: PartDiff,
            params: PartDiff,
            variables: PartDiff,
          }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      const p = await mustGet(store, req, req.params.id);
      const get = async (n: number) => {
        const v = await store.version(p.id, n);
        if (!v) throw errors.notFound(`version of prompt ${p.name}`, String(n));
        return v;
      };
      return diffVersions(await get(req.query.from), await get(req.query.to));
    },
  );

  r.put(
    '/prompts/:id/labels/:label',
    {
      config: { permission: 'write' },
      schema: {
        summary: 'Points a label (production, staging, any name) at a version; audited with before and after',
        params: LabelParams,
        querystring: WorkspaceQuery,
        body: z.strictObject({ version: VersionNumber }),
        response: { 200: LabelMoveView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      protectedLabel(req, req.params.label);
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      return store.moveLabel(req.params.id, req.params.label, req.body.version, auditActorOf(req));
    },
  );

  r.post(
    '/prompts/:id/rollback',
    {
      config: { permission: 'write' },
      schema: {
        summary:
          'Moves a label back: to `version`, or else to where it pointed before its last move not yet rolled back',
        params: Id,
        querystring: WorkspaceQuery,
        body: z.strictObject({ label: LABEL, version: VersionNumber.optional() }),
        response: { 200: LabelMoveView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      protectedLabel(req, req.body.label);
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      return store.rollback(req.params.id, req.body.label, req.body.version, auditActorOf(req));
    },
  );

  r.put(
    '/prompts/:id/favourite',
    {
      config: { permission: 'read' },
      schema: {
        summary: "Marks or unmarks the prompt as the caller's favourite",
        params: Id,
        querystring: WorkspaceQuery,
        body: z.strictObject({ favourite: z.boolean() }),
        response: { 200: z.object({ favourite: z.boolean() }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      await mustGet(store, req, req.params.id);
      const on = await store.setFavourite(
        req.params.id,
        userIdOf(req),
        req.body.favourite,
        auditActorOf(req),
      );
      return { favourite: on };
    },
  );

  r.get(
    '/prompts/:id/export',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          'The prompt with its versions and labels as JSON or YAML; POST /prompts/import takes it back',
        params: Id,
        querystring: WorkspaceQuery.extend({ format: z.enum(EXCHANGE_KINDS).default('json') }),
        response: { 200: z.string(), ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const store = await storeOf(req);
      const p = await mustGet(store, req, req.params.id);
      const doc = PromptDocument.parse(toDocument(p, await store.versions(p.id)));
      const kind = req.query.format;
      return reply
        .type(kind === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8')
        .header('content-disposition', `attachment; filename="prompt-${p.id}.${kind}"`)
        .serializer((s: string) => s)
        .send(serialize(doc, kind));
    },
  );

  r.post(
    '/prompts/:id/render',
    {
      config: { permission: 'read' },
      schema: {
        summary:
          'Renders a version (default: the newest) or a label with variables; a missing or unknown variable is a 400 naming it',
        params: Id,
        querystring: WorkspaceQuery,
        body: z.strictObject({
          version: VersionNumber.optional(),
          label: LABEL.optional(),
          variables: z.record(z.string(), z.unknown()),
        }),
        response: {
          200: z.object({ version: z.number().int(), system: z.string().nullable(), user: z.string() }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const store = await storeOf(req);
      const p = await mustGet(store, req, req.params.id);
      const { version, label, variables } = req.body;
      if (version !== undefined && label !== undefined)
        throw errors.badRequest('give version or label, not both');
      const n = version ?? (label !== undefined ? p.labels[label] : p.latestVersion);
      if (n === undefined) throw errors.notFound(`label of prompt ${p.name}`, label!, Object.keys(p.labels));
      const v = n > 0 ? await store.version(p.id, n) : null;
      if (!v) throw errors.notFound(`version of prompt ${p.name}`, String(n));
      const out = rendered(() =>
        renderTemplate({ system: v.system ?? undefined, user: v.user }, variables, v.variables),
      );
      return { version: v.version, system: out.system ?? null, user: out.user };
    },
  );
}
