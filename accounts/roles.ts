/**
 * The one table of roles and what each allows. Routes declare the permission they need
 * (`config: { permission }`, api/auth/guard.ts); a role allows a permission when it is listed here.
 */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
  /** list, read, analyse, compare, export */
  read: 'read benchmarks, runs and results; analyse, compare and export them',
  /** import, run, edit prompts and models */
  write: 'import results, start and stop runs, edit prompts and models',
  /** members, keys, settings, deletes, the audit log */
  admin: 'manage members, roles and API keys, change settings and retention, delete runs, read the audit log',
} as const;
export type Permission = keyof typeof PERMISSIONS;

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  editor: ['read', 'write'],
  admin: ['read', 'write', 'admin'],
};

export const allows = (role: Role, permission: Permission): boolean =>
  ROLE_PERMISSIONS[role].includes(permission);

/** Whether `a` is at most `b` (an API key's role may not exceed its creator's). */
export const roleAtMost = (a: Role, b: Role): boolean => ROLES.indexOf(a) <= ROLES.indexOf(b);

/** The workspace every install has: embedded data lives there, and the CLI acts on it by default. */
export const DEFAULT_WORKSPACE = 'default';

/** The `default` organisation's id (seeded by the migration): it holds the workspaces made before organisations. */
export const DEFAULT_ORG_ID = 1;
