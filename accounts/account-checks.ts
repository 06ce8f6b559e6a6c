/** What the account store accepts: each check throws a 400 saying what is allowed. */
import { errors } from '../core/errors.ts';
import { ROLES, type Role } from './roles.ts';

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Refuses a workspace's or organisation's slug that is not SLUG. */
export function checkSlug(what: string, slug: string): void {
  if (!SLUG.test(slug)) {
    throw errors.badRequest(
      `${what} is 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit`,
    );
  }
}
export const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 1024;
export const MAX_NAME = 191;

/** The engines' unique-key violation: MySQL errno 1062; DuckDB names it only in its message. */
export function isDuplicate(err: unknown): boolean {
  const e = err as { errno?: number; message?: string };
  return e.errno === 1062 || /duplicate key|violates (unique|primary key)/i.test(e.message ?? '');
}

export function checkName(what: string, name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > MAX_NAME)
    throw errors.badRequest(`${what} is 1 to ${MAX_NAME} characters`);
  return n;
}

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw errors.badRequest(`unknown role ${JSON.stringify(role)}; roles: ${ROLES.join(', ')}`);
  }
  return role as Role;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw errors.badRequest(`a password is ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`);
  }
}

/** An email as stored: trimmed and lower-cased (users.email is unique on that form). */
export function normalEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length > MAX_NAME || !EMAIL.test(e)) throw errors.badRequest('not an email address');
  return e;
}
