import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditFilter, Workspace } from '../../accounts/types.ts';
import type { RouteOptions } from '../app.ts';
import { accountsOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { auditLogOf } from '../data-audit.ts';
import { AuditDatabase, AuditEntryView, auditEntryView, WorkspaceQuery } from './account-views.ts';
import { auditPage, type Chain, CURSOR } from './audit-pages.ts';
import { problems } from './schemas.ts';

/** A date (`2026-12-01`) or an instant; a date as `to` means the end of that day (UTC). */
const instant = (end: boolean) =>
  z
    .string()
    .max(40)
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date or date-time')
    .transform((s) =>
      /^\d{4}-\d{2}-\d{2}$/.test(s) && end
        ? new Date(Date.parse(s) + 86_400_000 - 1).toISOString()
        : new Date(s).toISOString(),
    );

const AuditQuery = z.strictObject({
  workspace: WorkspaceQuery.shape.workspace,
  from: instant(false).optional().describe('entries at or after (a date or date-time, UTC)'),
  to: instant(true).optional().describe('entries at or before (a date means the end of that day)'),
  user: z.string().trim().min(1).max(254).optional().describe("the acting user's id or email"),
  action: z.string().min(1).max(64).optional().describe('e.g. member.add, key.create, import.create'),
  resource: z.string().min(1).max(191).optional().describe('e.g. user:3, key:7, run:42'),
  before: z.string().regex(CURSOR).optional().describe('the `next` of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Verify = z.object({
  ok: z.boolean(),
  chains: z.array(
    z.object({
      database: AuditDatabase,
      checked: z.number().int(),
      firstBad: z.object({ id: z.number().int(), reason: z.string() }).nullable(),
    }),
  ),
});

/** GET /audit (both chains of the workspace, merged newest first, filtered and paged), GET /audit/verify. */
export async function auditRoutes(app: FastifyInstance, { ctx, scope }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);
  /**
   * The control database's entries of the workspace, and its own database's log: `default`'s data lives in
   * the control database (scope gives the root context), so it has the one chain.
   */
  const chainsOf = async (req: FastifyRequest, workspace: Workspace): Promise<Chain[]> => {
    const control: Chain = {
      database: 'control',
      log: accounts().audit,
      scope: { workspaceId: workspace.id },
    };
    const own = await scope(req);
    if (own === ctx) return [control];
    return [control, { database: 'workspace', log: auditLogOf(own), scope: {} }];
  };

  r.get(
    '/audit',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          "The workspace's audit log (account changes and data changes), newest first, filtered by time, user, action and resource, and paged",
        querystring: AuditQuery,
        response: {
          200: z.object({
            entries: z.array(AuditEntryView),
            next: z.string().nullable().describe('pass as `before` for the next (older) page; null: no more'),
          }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const { workspace } = accessOf(req);
      const q = req.query;
      const filter: Omit<AuditFilter, 'before' | 'limit' | 'workspaceId'> = {
        ...(q.from !== undefined ? { from: q.from } : {}),
        ...(q.to !== undefined ? { to: q.to } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.resource !== undefined ? { resource: q.resource } : {}),
      };
      if (q.user !== undefined) {
        const id = /^\d+$/.test(q.user)
          ? Number(q.user)
          : (await accounts().findUserByEmail(q.user.toLowerCase()))?.id;
        // an unknown email acted on nothing
        if (id === undefined) return { entries: [], next: null };
        filter.userId = id;
      }
      const page = await auditPage(await chainsOf(req, workspace), filter, q.before, q.limit);
      return { entries: page.entries.map((e) => auditEntryView(e.entry, e.database)), next: page.next };
    },
  );

  r.get(
    '/audit/verify',
    {
      config: { permission: 'admin' },
      schema: {
        summary:
          "Recomputes the hash chains of the workspace's audit logs: the first entry edited or removed behind the application's back",
        querystring: WorkspaceQuery,
        response: { 200: Verify, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace } = accessOf(req);
      const chains = await Promise.all(
        (await chainsOf(req, workspace)).map(async (c) => ({
          database: c.database,
          ...(await c.log.verify()),
        })),
      );
      return {
        ok: chains.every((c) => c.ok),
        chains: chains.map((c) => ({ database: c.database, checked: c.checked, firstBad: c.firstBad })),
      };
    },
  );
}
