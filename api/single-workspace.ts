import { DEFAULT_WORKSPACE } from '../accounts/roles.ts';
import type { AccountStore, Organisation, Workspace } from '../accounts/types.ts';

/**
 * The accounts of an app built over a bare store (no control database open: tests of single routes, a
 * context opened without accounts): the `default` workspace alone, and nobody to sign in. With auth off
 * its local principal is the admin of `default`, which is how the server behaved before workspaces.
 */
export function defaultOnlyAccounts(): AccountStore {
  const ws: Workspace = {
    id: 1,
    orgId: 1,
    slug: DEFAULT_WORKSPACE,
    name: 'Default',
    retentionDays: null,
    createdAt: new Date(0).toISOString(),
  };
  const org: Organisation = { id: 1, slug: DEFAULT_WORKSPACE, name: 'Default', createdAt: ws.createdAt };
  const none = (what: string) => () => Promise.reject(new Error(`no account store is open: ${what}`));
  return {
    audit: {
      append: none('audit'),
      list: async () => [],
      verify: async () => ({ ok: true, checked: 0, firstBad: null }),
    },
    secret: none('secret'),
    createWorkspace: none('workspaces'),
    getWorkspace: async (slug) => (slug === ws.slug ? ws : null),
    getWorkspaceById: async (id) => (id === ws.id ? ws : null),
    listWorkspaces: async () => [ws],
    setRetention: none('settings'),
    createOrganisation: none('organisations'),
    getOrganisation: async (slug) => (slug === org.slug ? org : null),
    getOrganisationById: async (id) => (id === org.id ? org : null),
    listOrganisations: async () => [org],
    orgAdminOf: async () => [],
    orgAdmins: async () => [],
    setOrgAdmin: none('organisations'),
    createUser: none('users'),
    getUser: async () => null,
    findUserByEmail: async () => null,
    setPassword: none('users'),
    verifyPassword: async () => null,
    findUserByIdentity: async () => null,
    linkIdentity: none('users'),
    memberships: async () => [],
    members: async () => [],
    setMembership: none('members'),
    createKey: none('keys'),
    authenticateKey: async () => null,
    listKeys: async () => [],
    revokeKey: none('keys'),
    createSession: none('sessions'),
    rotateRefresh: async () => ({ ok: false, reason: 'unknown' }),
    sessionAlive: async () => false,
    revokeFamily: async () => undefined,
  };
}
