import type { Role } from '../../accounts/roles.ts';
import type { AccountStore, ApiKeyInfo, User, Workspace } from '../../accounts/types.ts';
import { defaultOnlyAccounts } from '../../api/single-workspace.ts';

/**
 * An account store of fixed workspaces and API keys (token → workspace and role), for the tenancy tests:
 * what the scoping reads of the accounts (workspaces, keys), without the control database's tables.
 */
export function workspaceAccounts(
  slugs: string[],
  keys: Record<string, { workspace: string; role: Role }>,
): AccountStore {
  const workspaces: Workspace[] = slugs.map((slug, i) => ({
    id: i + 1,
    slug,
    name: slug,
    retentionDays: null,
    createdAt: new Date(0).toISOString(),
  }));
  const user: User = { id: 1, email: 'tester@example.com', name: null, createdAt: '', disabled: false };
  const bySlug = (slug: string) => workspaces.find((w) => w.slug === slug) ?? null;
  let nextKey = 1;
  const keyInfo = new Map(
    Object.entries(keys).map(([token, k]): [string, ApiKeyInfo] => {
      const w = bySlug(k.workspace)!;
      return [
        token,
        {
          id: nextKey++,
          name: token,
          prefix: 'ehk_test',
          workspace: { id: w.id, slug: w.slug },
          role: k.role,
          createdBy: user.id,
          createdAt: '',
          expiresAt: null,
          lastUsedAt: null,
          revokedAt: null,
        },
      ];
    }),
  );
  return {
    ...defaultOnlyAccounts(),
    getWorkspace: async (slug) => bySlug(slug),
    getWorkspaceById: async (id) => workspaces.find((w) => w.id === id) ?? null,
    listWorkspaces: async () => workspaces,
    authenticateKey: async (token) => {
      const key = keyInfo.get(token);
      return key ? { key, user } : null;
    },
  };
}
