import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/actor.ts';
import { accessOf } from '../auth/guard.ts';
import { WorkspaceView, workspaceView } from './account-views.ts';
import type { AccountsContext } from './me.ts';
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
export async function settingsRoutes(app: FastifyInstance, { ctx }: { ctx: AccountsContext }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.put(
    '/settings',
    {
      config: { permission: 'admin' },
      schema: {
        summary: "Changes the workspace's settings: retention_days (null: results are kept)",
        querystring: z.strictObject({ workspace: z.string().optional() }),
        body: Settings,
        response: { 200: WorkspaceView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { workspace } = accessOf(req);
      const changed = await ctx.accounts.setRetention(workspace.id, req.body.retention_days, actorOf(req));
      return workspaceView(changed);
    },
  );
}
