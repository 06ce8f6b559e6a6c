/**
 * Who uses the page (GET /me) and the workspace it acts in. The workspace goes with every API call as the
 * `x-evalhouse-workspace` header (api.ts), and is remembered in localStorage across visits; a remembered one
 * the user no longer belongs to falls back to the API's default choice.
 */
import type { Permission, Role } from '../../accounts/roles.ts';

export interface MeWorkspace {
  slug: string;
  name: string;
  /** The organisation's slug. */
  org: string;
  role: Role;
  permissions: Permission[];
}

export interface Me {
  auth: boolean;
  principal: 'local' | 'session' | 'key';
  user: { id: number; email: string; name: string | null } | null;
  key: { id: number; name: string } | null;
  orgs: { slug: string; name: string; admin: boolean }[];
  workspaces: MeWorkspace[];
}

export const WORKSPACE_HEADER = 'x-evalhouse-workspace';
const STORED = 'evalhouse.workspace';

let me: Me | null = null;

export const currentMe = (): Me | null => me;
export const setMe = (m: Me | null): void => {
  me = m;
};

function stored(): string | null {
  try {
    return localStorage.getItem(STORED);
  } catch {
    return null; // storage refused (private mode): the API's default workspace
  }
}

/** The workspace the page acts in: the remembered one when the user belongs to it, else `default`, else the first. */
export function currentWorkspace(): MeWorkspace | null {
  const ws = me?.workspaces ?? [];
  const want = stored();
  return ws.find((w) => w.slug === want) ?? ws.find((w) => w.slug === 'default') ?? ws[0] ?? null;
}

/** The slug API calls send (none before GET /me answered: the API chooses). */
export const workspaceSlug = (): string | null => (me ? (currentWorkspace()?.slug ?? null) : null);

export function chooseWorkspace(slug: string): void {
  try {
    localStorage.setItem(STORED, slug);
  } catch {
    // not remembered; this page still uses it
  }
}

/** Whether the user's role in the current workspace allows `permission`. */
export const may = (permission: Permission): boolean =>
  currentWorkspace()?.permissions.includes(permission) ?? false;

/** The CSRF double-submit value (`__Host-eh_csrf`, readable by the page), for cookie-authenticated writes. */
export function csrfToken(): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === '__Host-eh_csrf') return decodeURIComponent(v.join('='));
  }
  return null;
}
