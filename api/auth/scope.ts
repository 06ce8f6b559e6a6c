import type { FastifyRequest } from 'fastify';
import { allows, DEFAULT_WORKSPACE, PERMISSIONS, type Permission, type Role } from '../../accounts/roles.ts';
import type { AccountStore, Principal, Workspace } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import './principal.ts';

/** Where a request names its workspace: this header, or the `workspace` query parameter. */
export const WORKSPACE_HEADER = 'x-evalhouse-workspace';

/** A workspace a principal may act in, with their role there. */
export interface WorkspaceAccess {
  workspace: Workspace;
  role: Role;
}

/** The workspace slug a request names, or undefined (header first, then `?workspace=`). */
export function namedWorkspace(req: FastifyRequest): string | undefined {
  const h = req.headers[WORKSPACE_HEADER];
  const header = Array.isArray(h) ? h[0] : h;
  if (header !== undefined && header !== '') return header;
  const q = (req.query as Record<string, unknown> | undefined)?.workspace;
  return typeof q === 'string' && q !== '' ? q : undefined;
}

/**
 * The one road to tenant rows: which workspace a request acts in, and whether the principal's role there
 * allows `permission`. 401 without a principal; 404 for a workspace the principal is not a member of
 * (its existence is not revealed, whether or not it exists); 403 for a role too low.
 */
export async function resolveAccess(
  req: FastifyRequest,
  accounts: Pick<AccountStore, 'getWorkspace'>,
  permission: Permission,
): Promise<WorkspaceAccess> {
  const principal = req.principal;
  if (!principal) throw errors.unauthenticated();
  const slug = namedWorkspace(req) ?? defaultWorkspaceOf(principal);
  const membership = principal.memberships.find((m) => m.workspace.slug === slug);
  if (!membership) throw errors.notFound('workspace', slug);
  if (!allows(membership.role, permission)) {
    throw errors.forbidden(
      `your role in workspace ${JSON.stringify(slug)} is ${membership.role}, which cannot ${PERMISSIONS[permission]}`,
      { workspace: slug, role: membership.role, needs: permission },
    );
  }
  const workspace = await accounts.getWorkspace(slug);
  if (!workspace) throw errors.notFound('workspace', slug); // deleted since the principal was resolved
  return { workspace, role: membership.role };
}

/** `default` when the principal belongs to it, else their only workspace; 400 when that is ambiguous. */
function defaultWorkspaceOf(principal: Principal): string {
  const slugs = principal.memberships.map((m) => m.workspace.slug);
  if (slugs.includes(DEFAULT_WORKSPACE)) return DEFAULT_WORKSPACE;
  if (slugs.length === 1) return slugs[0] as string;
  if (slugs.length === 0)
    throw errors.forbidden('you are not a member of any workspace; ask an admin to add you');
  throw errors.badRequest(
    `name a workspace with the ${WORKSPACE_HEADER} header or ?workspace=; yours: ${slugs.join(', ')}`,
    { workspaces: slugs },
  );
}
