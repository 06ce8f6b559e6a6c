/**
 * A whole server for route tests (buildApp over openContext) on either engine: a fresh DuckDB file, or a
 * fresh MySQL database with the file as its mirror; no demo data, no mirror loop, auth off unless `env`
 * sets AUTH. `workspaces`: with the tenancy of a team install (required by AUTH=on).
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.ts';
import { type AppContext, openContext } from '../../api/context.ts';
import { Workspaces } from '../../api/tenancy.ts';
import { loadConfig } from '../../core/config.ts';
import { createTestDatabase } from './mysql.ts';
import { tmpDir } from './tmp.ts';

export interface TestApp {
  ctx: AppContext;
  app: FastifyInstance;
  workspaces: Workspaces | null;
  close(): Promise<void>;
}

/** `name` names the MySQL database and the DuckDB file; `env` adds to (or overrides) the configuration. */
export async function openTestApp(
  engine: 'duckdb' | 'mysql',
  name: string,
  env: Record<string, string> = {},
  o: { workspaces?: boolean } = {},
): Promise<TestApp> {
  const tmp = tmpDir(`evalhouse-${name}-`);
  const db = engine === 'mysql' ? await createTestDatabase(name.replace(/\W/g, '_')) : null;
  const ctx = await openContext(
    loadConfig({
      DUCKDB_PATH: `${tmp.dir}/${name}-${engine}.duckdb`,
      ...(db ? { MYSQL_URL: db.url } : {}),
      DEMO_DATA: 'off',
      AUTH: 'off',
      ...env,
    }),
    { mirrorLoop: false },
  );
  const workspaces = o.workspaces ? new Workspaces(ctx, { mirrorLoop: false }) : null;
  const app = await buildApp(ctx, workspaces ? { workspaces } : {});
  return {
    ctx,
    app,
    workspaces,
    async close() {
      await app.close();
      await workspaces?.close();
      await ctx.close();
      await db?.drop();
      tmp.cleanup();
    },
  };
}
