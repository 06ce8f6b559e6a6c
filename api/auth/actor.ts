import type { FastifyRequest } from 'fastify';
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
