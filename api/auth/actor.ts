import type { FastifyRequest } from 'fastify';
import { DEFAULT_ORG_ID, DEFAULT_WORKSPACE } from '../../accounts/roles.ts';
import type { AccountStore, User } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import './guard.ts';

/** The request's user (session or key's creator), or null for the local user of auth off. */
export function userOf(req: FastifyRequest): User | null {
  const p = req.principal;
  return p && p.kind !== 'local' ? p.user : null;
}

/** The control database's accounts (the root context's); 503 on an app built without them. */
export function accountsOf(ctx: { accounts?: AccountStore | null }): AccountStore {
  if (!ctx.accounts) throw errors.unavailable('no account store is open on this server');
  return ctx.accounts;
}

/**
 * Whether the request's principal administers an organisation: creates its workspaces and names its
 * admins. The local user of auth off administers all; an API key none (keys act in one workspace);
 * a user when org_admins names them, and for the `default` organisation also the admins of the
 * `default` workspace (the install's admins, who administered it before organisations existed).
 */
export async function administersOrg(
  req: FastifyRequest,
  accounts: AccountStore,
  orgId: number,
): Promise<boolean> {
  const p = req.principal;
  if (!p) return false;
  if (p.kind === 'local') return true;
  if (p.kind === 'key') return false;
  if (orgId === DEFAULT_ORG_ID && isInstallAdmin(req)) return true;
  return (await accounts.orgAdminOf(p.user.id)).includes(orgId);
}

/** An admin of the `default` workspace, signed in (not a key), or the local user: creates organisations. */
export function isInstallAdmin(req: FastifyRequest): boolean {
  const p = req.principal;
  if (!p || p.kind === 'key') return false;
  if (p.kind === 'local') return true;
  return p.memberships.some((m) => m.workspace.slug === DEFAULT_WORKSPACE && m.role === 'admin');
}
