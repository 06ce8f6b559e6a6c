import type { FastifyRequest } from 'fastify';
import type { AccountStore, AuditActor, User } from '../../accounts/types.ts';
import { errors } from '../../core/errors.ts';
import './guard.ts';

/**
 * Who a change is audited as: the request's principal (its user and key; none for the local user of auth
 * off), the role the guard resolved in the request's workspace, the request id and the caller's address.
 */
export function actorOf(req: FastifyRequest): AuditActor {
  const p = req.principal;
  const user = p && p.kind !== 'local' ? p.user : null;
  return {
    actor: {
      userId: user?.id ?? null,
      email: user?.email ?? null,
      role: req.access?.role ?? null,
      keyId: p?.kind === 'key' ? p.keyId : null,
    },
    requestId: req.id,
    address: req.ip,
  };
}

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
