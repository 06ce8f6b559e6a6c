import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteOptions } from '../app.ts';
import { accountsOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { auditActorOf } from '../data-audit.ts';
import { WorkspaceQuery, WorkspaceView, workspaceView } from './account-views.ts';
import { problems } from './schemas.ts';

const Settings = z.strictObject({
  retention_days: z
    .number()
    .int()
    .min(1)
    .max(36_500)
    .nullable()
    .describe('results older than this many days are deleted on a schedule (audited); null: kept forever'),
});

/** PUT /settings: the request's workspace's settings (retention), by its admins; answers the workspace. */
export async function settingsRoutes(app: FastifyInstance, { ctx }: RouteOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const accounts = () => accountsOf(ctx);
  r.put(
    '/settings',
    {
      config: { permission: 'admin' },
      schema: {
        summary: "Changes the workspace's settings: retention_days (null: results are kept)",
        querystring: WorkspaceQuery,
        body: Settings,
        response: { 200: WorkspaceView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace } = accessOf(req);
      const changed = await accounts().setRetention(workspace.id, req.body.retention_days, auditActorOf(req));
      return workspaceView(changed);
    },
  );
}
