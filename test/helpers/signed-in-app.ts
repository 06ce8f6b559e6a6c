/**
 * A whole server (buildApp over openContext, with its Workspaces) with auth on, on either engine, for
 * tests that call routes as signed-in members: users are added with a role and signed in with a
 * password, as a browser would.
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../accounts/roles.ts';
import type { AccountStore, AuditActor, User, Workspace } from '../../accounts/types.ts';
import type { AppContext } from '../../api/context.ts';
import type { Workspaces } from '../../api/tenancy.ts';
import { type Session, signInAs } from './auth-calls.ts';
import { openTestApp } from './test-app.ts';

/** Who the tests' own account changes are by (the audit entries name it). */
export const SETUP: AuditActor = {
  actor: { userId: null, email: null, role: 'admin', keyId: null },
  requestId: 'test-setup',
  address: null,
};
export const TEST_PASSWORD = 'a long enough test password';

export interface SignedInApp {
  ctx: AppContext;
  app: FastifyInstance;
  workspaces: Workspaces;
  accounts: AccountStore;
  /** The `default` workspace. */
  def: Workspace;
  /** A user `<name>@example.com` with the test password, a member of `workspace` (default) with `role` when given. */
  addUser(name: string, role?: Role, workspace?: Workspace): Promise<User>;
  /** `<name>@example.com` signed in through POST /auth/login. */
  signIn(name: string): Promise<Session>;
  close(): Promise<void>;
}

/** `name` names the MySQL database and the DuckDB file; `env` adds to (or overrides) the configuration. */
export async function signedInApp(
  engine: 'duckdb' | 'mysql',
  name: string,
  env: Record<string, string> = {},
): Promise<SignedInApp> {
  const t = await openTestApp(
    engine,
    name,
    {
      AUTH: 'on',
      AUTH_SECRET: 'a-test-secret-of-at-least-32-characters!!',
      RATE_LIMIT_PER_MIN: '100000',
      ...env,
    },
    { workspaces: true },
  );
  const { ctx, app } = t;
  const accounts = ctx.accounts!;
  const def = (await accounts.getWorkspace('default'))!;
  return {
    ctx,
    app,
    workspaces: t.workspaces!,
    accounts,
    def,
    async addUser(user, role, workspace = def) {
      const u = await accounts.createUser({ email: `${user}@example.com`, password: TEST_PASSWORD }, SETUP);
      if (role) await accounts.setMembership(u.id, workspace.id, role, SETUP);
      return u;
    },
    signIn: (user) => signInAs(app, `${user}@example.com`, TEST_PASSWORD),
    close: () => t.close(),
  };
}
